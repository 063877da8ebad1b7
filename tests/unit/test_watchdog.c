/*
 * The shutdown watchdog: after a signal it ends a run that does not finish within its grace
 * (exit 1, with a log line saying why), and leaves alone one that finishes in time or that
 * was never signalled. Each case runs in a child process, since firing means _exit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "watchdog.h"
#include "weir/log.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

enum { SIGNAL_AND_HANG, SIGNAL_AND_FINISH, NO_SIGNAL };

/* Runs the case in a child whose stderr goes to `log`; returns its wait status and the
 * seconds it took. */
static int run_child(int what, char *log, size_t loglen, double *took)
{
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    double t0 = now_s();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], STDERR_FILENO);
        close(fd[0]);
        wlog_setup(WLOG_INFO, WLOG_JSON);
        char err[256];
        if (wd_start(0.2, 0.5, err, sizeof(err)) != 0)
            _exit(3);
        if (what != NO_SIGNAL)
            wd_signal();
        if (what == SIGNAL_AND_HANG) {
            sleep(10); /* a librdkafka call that does not return */
            _exit(0);
        }
        usleep(what == NO_SIGNAL ? 800000 : 100000); /* past the grace when no signal came */
        wd_stop();
        _exit(0);
    }
    close(fd[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < loglen && (r = read(fd[0], log + n, loglen - 1 - n)) > 0)
        n += (size_t)r;
    log[n] = '\0';
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    *took = now_s() - t0;
    return status;
}

static void fires_after_grace(void **state)
{
    (void)state;
    char log[2048];
    double took;
    int st = run_child(SIGNAL_AND_HANG, log, sizeof(log), &took);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
    assert_true(took >= 0.5 && took < 5.0);
    assert_non_null(strstr(log, "\"level\":\"error\""));
    assert_non_null(strstr(log, "shutdown did not finish 0.5 s after the signal "
                                "(shutdown_timeout 0.2 s)"));
    assert_non_null(strstr(log, "read again on restart"));
}

/* The child exits 0 on its own and the watchdog says nothing */
static void assert_quiet(int what)
{
    char log[2048];
    double took;
    int st = run_child(what, log, sizeof(log), &took);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_string_equal(log, "");
}

static void quiet_when_finished_in_time(void **state)
{
    (void)state;
    assert_quiet(SIGNAL_AND_FINISH);
}

static void idle_without_signal(void **state)
{
    (void)state;
    assert_quiet(NO_SIGNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fires_after_grace),
        cmocka_unit_test(quiet_when_finished_in_time),
        cmocka_unit_test(idle_without_signal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
