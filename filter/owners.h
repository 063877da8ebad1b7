/*
 * Which worker a partition starts on (private to filter/): the worker that owns the fewest of
 * its topic's, then of all, so 12 partitions over 4 workers are 3 each and each topic is spread
 * over them. (A partition with nothing in flight may later move to a less busy worker:
 * workers.c; this table keeps the spread of the claims.) A hash of topic and partition, used
 * before, gave splits like 5/3/2/2, and the worker with 5 bounded the whole consumer.
 *
 * Used by the pipeline thread only: no locking.
 */
#ifndef WEIR_OWNERS_H
#define WEIR_OWNERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ow_table ow_table;

ow_table *ow_new(size_t nworkers);
void ow_free(ow_table *t);

/*
 * The worker that owns the partition. One that was never claimed (the pipeline claims every
 * partition it is assigned, so only a stray message) goes to a worker chosen by a hash of topic
 * and partition: always the same one, so its events stay in order too.
 */
size_t ow_worker(const ow_table *t, const char *topic, int32_t partition);

/* Gives the partition an owner, unless it has one: the worker owning fewest of its topic's
 * partitions, then fewest in all. -1 if out of memory. */
int ow_claim(ow_table *t, const char *topic, int32_t partition);

/*
 * Forgets the partition, so the load it counted is free for the next one. Only once none of its
 * events is queued (the pipeline releases after draining a revoke): were it to come back to
 * another worker while its old events wait in the first, its alerts could come out of order.
 */
void ow_release(ow_table *t, const char *topic, int32_t partition);

/* How many partitions worker i owns. */
size_t ow_load(const ow_table *t, size_t i);

#endif
