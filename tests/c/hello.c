/* The smallest program: libc startup, one buffered write to a pipe, exit 0. */
#include <stdio.h>

int main(void) {
    printf("hello, world\n");
    return 0;
}
