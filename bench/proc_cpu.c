/*
 * proc_cpu.c - `proc_cpu CMD ARGS...` runs CMD and, once it has exited,
 * prints on stderr `proc_cpu_s=S proc_user_s=U proc_sys_s=Y`: the CPU time
 * (user + sys, every thread) of the whole process, start to exit, from
 * wait4()'s rusage, to the microsecond.  GNU time reports the same figures
 * rounded to 10 ms, too coarse for a 0.2 s process.  The race's goal row
 * (bench/README.md) compares whole processes this way.  Exits with CMD's
 * status.  Built by bench/run.sh.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static double seconds(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

int main(int argc, char **argv) {
  struct rusage ru;
  int status;
  pid_t pid;
  if (argc < 2) {
    fprintf(stderr, "usage: proc_cpu CMD [ARGS...]\n");
    return 2;
  }
  pid = fork();
  if (pid < 0) { perror("proc_cpu: fork"); return 2; }
  if (pid == 0) {
    execvp(argv[1], argv + 1);
    perror("proc_cpu: exec");
    _exit(127);
  }
  if (wait4(pid, &status, 0, &ru) < 0) { perror("proc_cpu: wait4"); return 2; }
  fprintf(stderr, "proc_cpu_s=%.6f proc_user_s=%.6f proc_sys_s=%.6f\n",
          seconds(ru.ru_utime) + seconds(ru.ru_stime), seconds(ru.ru_utime), seconds(ru.ru_stime));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
