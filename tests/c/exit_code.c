/* Exits with the code given in argv[1], to check exit status propagation. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        printf("FAIL: usage: exit_code CODE\n");
        return 1;
    }
    printf("exiting with %s\n", argv[1]);
    fflush(stdout);
    exit(atoi(argv[1]));
}
