/* The smallest container process: exits 0 at once. `bench startup` times
 * how long a runtime takes to run it (create + start + wait + delete). */
int main(void) {
    return 0;
}
