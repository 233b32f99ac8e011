/* Prints its argv, bracketed so empty arguments stay visible. Also used as
 * the interpreter of the #! test, where the kernel rewrites argv. */
#include <stdio.h>

int main(int argc, char **argv) {
    printf("argc: %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]: [%s]\n", i, argv[i]);
    return 0;
}
