/* Helpers for bench/bench.py, compiled by bench/run-all.sh into the build directory.
 *
 *   benchtool alt N CMD... [::: CMD...]...   run the commands alternately, N rounds; one line
 *                                             per run: "<index> <wall ns> <cpu ns>" (cpu: the
 *                                             child and everything it waited for, from wait4;
 *                                             the commands' stdout goes to /dev/null)
 *   benchtool tree N READY                    become a tree of N processes (this one and N-1
 *                                             forked children that sleep), then create READY
 *                                             and sleep until killed
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int alternate(int rounds, int argc, char **argv) {
    char **cmds[16];
    int ncmds = 0;
    cmds[ncmds++] = argv;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], ":::") == 0) {
            argv[i] = NULL;
            if (ncmds == 16) return 2;
            cmds[ncmds++] = argv + i + 1;
        }
    posix_spawn_file_actions_t quiet;  /* the commands' stdout must not mix with ours */
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    for (int r = 0; r < rounds; r++)
        for (int c = 0; c < ncmds; c++) {
            pid_t pid;
            int status;
            struct rusage ru;
            long long start = now_ns();
            if (posix_spawnp(&pid, cmds[c][0], &quiet, NULL, cmds[c], environ) != 0) {
                perror(cmds[c][0]);
                return 1;
            }
            if (wait4(pid, &status, 0, &ru) < 0) return 1;
            long long wall = now_ns() - start;
            long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
                            (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
            printf("%d %lld %lld %d\n", c, wall, cpu, status);
        }
    return 0;
}

static int tree(int n, const char *ready) {
    for (int i = 1; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0)
            for (;;) pause();
    }
    int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) close(fd);
    for (;;) pause();
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "alt") == 0) return alternate(atoi(argv[2]), argc - 3, argv + 3);
    if (argc == 4 && strcmp(argv[1], "tree") == 0) return tree(atoi(argv[2]), argv[3]);
    fprintf(stderr, "usage: benchtool alt N CMD... [::: CMD...]... | benchtool tree N READY\n");
    return 2;
}
