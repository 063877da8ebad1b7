/*
 * The shutdown watchdog (private to the weir executable). weir bounds every wait of its
 * shutdown by shutdown_timeout (pipeline.c), but some librdkafka calls do not honour their
 * own timeout while a broker holds the connection open without answering:
 * rd_kafka_send_offsets_to_transaction waits without limit for the transaction coordinator
 * (librdkafka issue #5456), and a worker blocked on a full producer queue waits for room.
 * Without a watchdog such a process stays until Kubernetes' SIGKILL, with nothing in the log.
 *
 * Armed by the first SIGTERM/SIGINT (cli.c's handler calls wd_signal, which is
 * async-signal-safe); if the run has not finished wd_grace_s after it, the watchdog thread logs
 * why and exits the process with status 1. Nothing is lost by that: offsets are committed only
 * after their alerts are acknowledged, so what was not committed is read again on restart.
 */
#ifndef WEIR_WATCHDOG_H
#define WEIR_WATCHDOG_H

#include <stddef.h>

/* Starts the watchdog thread, idle until wd_signal. shutdown_timeout_s names the bound in the
 * log line; the watchdog fires grace_s after the signal. 0 on success, -1 with err. */
int wd_start(double shutdown_timeout_s, double grace_s, char *err, size_t errlen);

/* Arms the watchdog; async-signal-safe. A no-op unless wd_start ran. */
void wd_signal(void);

/* The run has finished (in time): stops and joins the watchdog thread. */
void wd_stop(void);

#endif
