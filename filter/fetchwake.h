/*
 * Fetch wake-ups (private to the pipeline). librdkafka 2.0.2 stops fetching while its prefetch
 * queue holds queued.max.messages.kbytes (or queued.min.messages), and then looks again only
 * when its broker thread wakes: on an operation for it, on socket I/O, or after 1 s
 * (rdkafka_broker.c, rd_kafka_max_block_ms). A consumer taking events out of the queue does not
 * wake it. So a weir behind its input drains the 64 MB queue in about a quarter of a second
 * and then waits for the rest of that second; librdkafka 2.2 added fetch.queue.backoff.ms for
 * exactly this (its CHANGELOG: the queue must otherwise hold 1 s of data).
 *
 * The fetch waker sends the brokers that lead weir's partitions a request (ListOffsets for
 * their latest offsets, which reads nothing and changes nothing) each time weir has consumed
 * half a queue's worth, so their threads look at the queue again while it still holds half.
 * Measured on 2M events (2 cores, one local broker): 615k -> 1.1M events/s, peak RSS +25 MB;
 * a deeper queue instead (128 MB) reached 0.8-1.2M at +130 MB.
 */
#ifndef WEIR_FETCHWAKE_H
#define WEIR_FETCHWAKE_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fw_waker fw_waker;

/* Starts the waker thread for consumer rk; the thresholds come from rk's own configuration
 * (so -X consumer.queued.max.messages.kbytes moves them too). NULL with err on failure. */
fw_waker *fw_start(rd_kafka_t *rk, char *err, size_t errlen);

/* The consuming thread took n messages with bytes bytes of payload from the consumer queue.
 * Cheap (two additions) unless a wake-up is due; one consuming thread only. */
void fw_consumed(fw_waker *w, size_t n, size_t bytes);

/* Wake-up requests answered or timed out so far. */
uint64_t fw_wakeups(fw_waker *w);

/* Stops and joins the thread (waits at most for a request in flight, FW_TIMEOUT_MS); frees w.
 * NULL is a no-op. */
void fw_stop(fw_waker *w);

/* How long one wake-up request may wait for its answer: the request wakes the broker thread
 * when it is queued, so the answer itself is not needed; short, so stopping stays quick. */
#define FW_TIMEOUT_MS 250

#endif
