/*
 * weir-bench-load: the latency and soak steps' load generator and alert clock (bench/weir-bench
 * drives it).
 *
 * Produces IIS lines to --topic at a fixed --rate for --seconds, one in --attack-every an attack
 * carrying its send time (monotonic ns, "&t=..."), and reads --alerts from the start of that
 * (fresh) topic, timing each alert's arrival against the send time inside it. Writes one line
 * "SECONDS_SINCE_START LATENCY_MS TO_PRODUCE_MS TO_APPEND_MS TO_READ_MS" per alert to --out
 * (from the send to weir's produce call, by the alert's CreateTime; to the broker's append of the
 * event, by the alert's @timestamp when the input topic is on LogAppendTime; to weir's read of
 * the event, by the alert's event.created; nan where unknown) and one JSON summary on stdout.
 *
 * Why C and not the Python driver: the generator shares the machine with the broker and weir.
 * A Python loop producing 280k events/s spends a core of its own, so on a small machine the
 * latency it measured was the generator's contention as much as weir's. This one spends a
 * fraction of that, and the alert reader is not queued behind the producer on one interpreter
 * lock.
 *
 * --compression sets the producer's codec (librdkafka's compression.codec; default none):
 * weir-bench passes lz4, the codec its preloaded topics are written with, as a log shipper
 * would compress its batches.
 *
 * Exits 1 when an event could not be delivered or an attack's alert did not arrive within
 * --drain seconds of the last event; 2 on bad usage or setup.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <librdkafka/rdkafka.h>
#include <msgpack.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_BENIGN 100000

static const char attack_fmt[] =
    "2021-03-05 03:07:11 10.0.0.11 GET /aspnet_client/system_web/shell.aspx "
    "cmd=whoami+/all&t=%" PRId64 " 443 - 203.0.113.236 Mozilla/5.0 - 200 0 0 402";

/* Each latency in four (to the millisecond; -1 where a time is missing): appended_ns, when the
 * broker appended the event (the alert's @timestamp, weir's copy of the event's LogAppendTime),
 * so sent -> appended is the generator's linger and the broker taking the event; read_ns, when
 * weir's consumer read returned the event (the alert's event.created), so appended -> read is
 * the event waiting for weir's fetch and in librdkafka's queue; produced_ns, when weir handed
 * the alert to its producer (the alert's CreateTime), so read -> produced is weir's worker
 * queue and the scan; produced -> recv is weir's linger, the broker taking the alert and the
 * reader fetching it. */
typedef struct {
    int64_t sent_ns, recv_ns, produced_ns, appended_ns, read_ns;
} sample_t;

static struct {
    const char *bootstrap, *topic, *alerts, *benign_path, *out_path, *linger, *compression;
    double rate, seconds, drain;
    long every;
} opt = {.rate = 1000,
         .seconds = 10,
         .drain = 10,
         .every = 100,
         .linger = "5",
         .compression = "none"};

static sample_t *samples;
static size_t samples_cap;
static atomic_size_t nsamples;      /* alerts read (stored while below samples_cap) */
static atomic_int reader_ready, reader_stop, reader_failed;
static char reader_err[512]; /* written once by the reader, read after reader_failed is set */
static atomic_long delivered, failed;
static char deliver_err[256];

static void die(const char *msg, const char *detail)
{
    fprintf(stderr, "weir-bench-load: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC, taken once: Kafka timestamps are wall-clock milliseconds,
 * the send and receive times monotonic */
static int64_t real_minus_mono;

static void set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        die(k, err);
}

/* ---- benign lines: the driver writes them (its generator's IIS lines), one per line ---- */

static char *benign_buf;
static const char *benign[MAX_BENIGN];
static size_t benign_len[MAX_BENIGN], nbenign;

static void load_benign(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open", path);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    benign_buf = malloc((size_t)sz + 1);
    if (!benign_buf || fread(benign_buf, 1, (size_t)sz, f) != (size_t)sz)
        die("cannot read", path);
    fclose(f);
    for (size_t p = 0; p < (size_t)sz && nbenign < MAX_BENIGN;) {
        char *nl = memchr(benign_buf + p, '\n', (size_t)sz - p);
        size_t e = nl ? (size_t)(nl - benign_buf) : (size_t)sz;
        if (e > p) {
            benign[nbenign] = benign_buf + p;
            benign_len[nbenign++] = e - p;
        }
        p = e + 1;
    }
    if (nbenign == 0)
        die("no lines in", path);
}

/* ---- the alert reader ---- */

static int key_is(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, name, n) == 0;
}

/* The send time ("&t=NS") in a raw line, or -1. */
static int64_t sent_in(const char *s, const char *end)
{
    for (; s + 3 < end; s++) {
        if (memcmp(s, "&t=", 3) != 0)
            continue;
        int64_t t = 0;
        for (s += 3; s < end && *s >= '0' && *s <= '9'; s++)
            t = t * 10 + (*s - '0');
        return t;
    }
    return -1;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" as milliseconds since the epoch, or -1. */
static int64_t iso_ms(const char *s, size_t len)
{
    char buf[40];
    struct tm tm = {0};
    int ms;
    if (len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

/*
 * From an alert: the send time inside its event.original (monotonic ns; -1 when it has none),
 * its @timestamp, which weir copies from the event's Kafka timestamp: with the input topic on
 * LogAppendTime, when the broker appended the event, and its event.created, when weir read the
 * event (wall-clock ms; -1 when absent).
 */
static int64_t alert_times(const void *buf, size_t len, int64_t *appended_ms, int64_t *read_ms)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int64_t t = -1;
    *appended_ms = *read_ms = -1;
    if (msgpack_unpack_next(&u, buf, len, NULL) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_MAP) {
        msgpack_object_map *m = &u.data.via.map;
        for (uint32_t i = 0; i < m->size; i++) {
            msgpack_object *k = &m->ptr[i].key, *v = &m->ptr[i].val;
            /* weir writes the raw line as bin (it need not be UTF-8); take str as well */
            if (key_is(k, "event.original") && v->type == MSGPACK_OBJECT_BIN)
                t = sent_in(v->via.bin.ptr, v->via.bin.ptr + v->via.bin.size);
            else if (key_is(k, "event.original") && v->type == MSGPACK_OBJECT_STR)
                t = sent_in(v->via.str.ptr, v->via.str.ptr + v->via.str.size);
            else if (key_is(k, "@timestamp") && v->type == MSGPACK_OBJECT_STR)
                *appended_ms = iso_ms(v->via.str.ptr, v->via.str.size);
            else if (key_is(k, "event.created") && v->type == MSGPACK_OBJECT_STR)
                *read_ms = iso_ms(v->via.str.ptr, v->via.str.size);
        }
    }
    msgpack_unpacked_destroy(&u);
    return t;
}

/* Keeps the reader's first error for main (it stops waiting for alerts once one is set). */
static void reader_fail(const char *what, int64_t offset)
{
    if (atomic_load(&reader_failed))
        return;
    snprintf(reader_err, sizeof(reader_err), "alert reader, offset %" PRId64 ": %s", offset,
             what);
    atomic_store(&reader_failed, 1);
}

static void *reader(void *arg)
{
    rd_kafka_t *rk = arg;
    while (!atomic_load(&reader_stop)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 20);
        if (!atomic_load(&reader_ready)) {
            rd_kafka_topic_partition_list_t *a = NULL;
            if (rd_kafka_assignment(rk, &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a->cnt > 0)
                atomic_store(&reader_ready, 1);
            if (a)
                rd_kafka_topic_partition_list_destroy(a);
        }
        if (!m)
            continue;
        int64_t recv = now_ns();
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                reader_fail(rd_kafka_message_errstr(m), m->offset);
        } else {
            int64_t appended_ms, read_ms, sent = alert_times(m->payload, m->len, &appended_ms,
                                                             &read_ms);
            if (sent < 0) {
                reader_fail("an alert without a send time in event.original", m->offset);
            } else {
                rd_kafka_timestamp_type_t tt;
                int64_t ts = rd_kafka_message_timestamp(m, &tt);
                int64_t produced = tt == RD_KAFKA_TIMESTAMP_CREATE_TIME && ts > 0
                                       ? ts * 1000000 - real_minus_mono
                                       : -1;
                int64_t appended = appended_ms > 0 ? appended_ms * 1000000 - real_minus_mono : -1;
                int64_t read = read_ms > 0 ? read_ms * 1000000 - real_minus_mono : -1;
                size_t i = atomic_load(&nsamples);
                if (i < samples_cap)
                    samples[i] = (sample_t){sent, recv, produced, appended, read};
                atomic_store(&nsamples, i + 1);
            }
        }
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

static rd_kafka_t *reader_new(void)
{
    char err[512], group[96];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    snprintf(group, sizeof(group), "weir-bench-load-%d-%" PRId64, (int)getpid(), now_ns());
    set(conf, "bootstrap.servers", opt.bootstrap);
    set(conf, "group.id", group);
    /* the alerts topic is new for this run: every alert on it is one of ours, so read it from
     * the start and none is missed between the assignment and the first fetch */
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "enable.auto.commit", "false");
    set(conf, "fetch.wait.max.ms", "5");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk)
        die("consumer", err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(t, opt.alerts, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, t);
    rd_kafka_topic_partition_list_destroy(t);
    if (e)
        die("subscribe", rd_kafka_err2str(e));
    return rk;
}

/* ---- the producer ---- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err) {
        if (atomic_fetch_add(&failed, 1) == 0)
            snprintf(deliver_err, sizeof(deliver_err), "%s", rd_kafka_err2str(m->err));
    } else {
        atomic_fetch_add(&delivered, 1);
    }
}

static rd_kafka_t *producer_new(void)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", opt.bootstrap);
    set(conf, "linger.ms", opt.linger);
    set(conf, "compression.codec", opt.compression); /* a bad name fails here, by name */
    set(conf, "queue.buffering.max.messages", "1000000");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        die("producer", err);
    return rk;
}

static int cmp_sent(const void *a, const void *b)
{
    const sample_t *x = a, *y = b;
    return (x->sent_ns > y->sent_ns) - (x->sent_ns < y->sent_ns);
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: weir-bench-load -b BOOTSTRAP --topic T --alerts T --benign FILE --out FILE\n"
            "                       [--rate EVENTS_PER_S] [--seconds S] [--attack-every N]\n"
            "                       [--drain S] [--linger-ms MS] [--compression CODEC]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(a, "-b"))
            opt.bootstrap = v;
        else if (!strcmp(a, "--topic"))
            opt.topic = v;
        else if (!strcmp(a, "--alerts"))
            opt.alerts = v;
        else if (!strcmp(a, "--benign"))
            opt.benign_path = v;
        else if (!strcmp(a, "--out"))
            opt.out_path = v;
        else if (!strcmp(a, "--rate"))
            opt.rate = atof(v);
        else if (!strcmp(a, "--seconds"))
            opt.seconds = atof(v);
        else if (!strcmp(a, "--drain"))
            opt.drain = atof(v);
        else if (!strcmp(a, "--linger-ms"))
            opt.linger = v;
        else if (!strcmp(a, "--compression"))
            opt.compression = v;
        else if (!strcmp(a, "--attack-every"))
            opt.every = atol(v);
        else
            usage();
        i++;
    }
    if (!opt.bootstrap || !opt.topic || !opt.alerts || !opt.benign_path || !opt.out_path ||
        opt.rate <= 0 || opt.seconds <= 0 || opt.every < 1)
        usage();
    load_benign(opt.benign_path);
    FILE *out = fopen(opt.out_path, "w");
    if (!out)
        die("cannot write", opt.out_path);

    /* room for every attack's alert twice over (at-least-once may deliver one again) */
    samples_cap = (size_t)(opt.rate * opt.seconds / (double)opt.every) * 2 + 1024;
    samples = malloc(samples_cap * sizeof(*samples));
    real_minus_mono = clock_ns(CLOCK_REALTIME) - now_ns();
    if (!samples)
        die("out of memory", NULL);

    rd_kafka_t *cons = reader_new();
    pthread_t rt;
    if (pthread_create(&rt, NULL, reader, cons) != 0)
        die("cannot start the alert reader", strerror(errno));
    for (int i = 0; i < 3000 && !atomic_load(&reader_ready); i++)
        usleep(10000);
    if (!atomic_load(&reader_ready))
        die("the alert reader got no partition in 30 s", opt.alerts);

    rd_kafka_t *prod = producer_new();
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(prod, opt.topic, NULL);
    if (!rkt)
        die(opt.topic, rd_kafka_err2str(rd_kafka_last_error()));
    char line[512];
    long produced = 0, attacks = 0, queue_full = 0;
    double cpu0 = cpu_s();
    int64_t t0 = now_ns(), end = t0 + (int64_t)(opt.seconds * 1e9);
    /* paced every millisecond: at 280k events/s a slot is 280 events, so the load is smooth at
     * the broker's scale and no burst of a coarser tick shows up as weir's latency */
    for (int64_t now = t0; now < end; now = now_ns()) {
        long due = (long)((double)(now - t0) / 1e9 * opt.rate);
        while (produced < due) {
            int attack = produced % opt.every == 0;
            const char *v;
            size_t len;
            if (attack) {
                int n = snprintf(line, sizeof(line), attack_fmt, now_ns());
                v = line;
                len = (size_t)n;
            } else {
                size_t k = (size_t)produced % nbenign;
                v = benign[k];
                len = benign_len[k];
            }
            if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)v, len,
                                 NULL, 0, NULL) != 0) {
                rd_kafka_resp_err_t e = rd_kafka_last_error();
                if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    die("produce", rd_kafka_err2str(e));
                queue_full++; /* the same slot again once the queue drains: counted once */
                rd_kafka_poll(prod, 1);
                continue;
            }
            produced++;
            attacks += attack;
        }
        rd_kafka_poll(prod, 0);
        struct timespec tick = {0, 1000000};
        nanosleep(&tick, NULL);
    }
    double load_s = (double)(now_ns() - t0) / 1e9;
    rd_kafka_resp_err_t fe = rd_kafka_flush(prod, 30000);
    double gen_cpu = cpu_s() - cpu0;

    int64_t deadline = now_ns() + (int64_t)(opt.drain * 1e9);
    while (atomic_load(&nsamples) < (size_t)attacks && now_ns() < deadline &&
           !atomic_load(&reader_failed))
        usleep(10000);
    atomic_store(&reader_stop, 1);
    pthread_join(rt, NULL);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(prod);

    size_t n = atomic_load(&nsamples), kept = n < samples_cap ? n : samples_cap, distinct = 0;
    qsort(samples, kept, sizeof(*samples), cmp_sent);
    for (size_t i = 0; i < kept; i++) {
        if (i > 0 && samples[i].sent_ns == samples[i - 1].sent_ns)
            continue; /* a duplicate: its first arrival is the latency */
        distinct++;
        const sample_t *x = &samples[i];
        fprintf(out, "%.6f %.3f %.3f %.3f %.3f\n", (double)(x->sent_ns - t0) / 1e9,
                (double)(x->recv_ns - x->sent_ns) / 1e6,
                x->produced_ns < 0 ? NAN : (double)(x->produced_ns - x->sent_ns) / 1e6,
                x->appended_ns < 0 ? NAN : (double)(x->appended_ns - x->sent_ns) / 1e6,
                x->read_ns < 0 ? NAN : (double)(x->read_ns - x->sent_ns) / 1e6);
    }
    if (fclose(out) != 0)
        die("cannot write", opt.out_path);

    printf("{\"produced\": %ld, \"attacks\": %ld, \"delivered\": %ld, \"failed\": %ld, "
           "\"alerts\": %zu, \"distinct\": %zu, \"seconds\": %.3f, \"queue_full\": %ld, "
           "\"cpu_s\": %.3f}\n",
           produced, attacks, atomic_load(&delivered), atomic_load(&failed), n, distinct, load_s,
           queue_full, gen_cpu);
    int bad = 0;
    if (fe != RD_KAFKA_RESP_ERR_NO_ERROR || atomic_load(&failed) ||
        atomic_load(&delivered) != produced) {
        fprintf(stderr, "weir-bench-load: %ld of %ld events delivered%s%s\n",
                atomic_load(&delivered), produced, deliver_err[0] ? ", first error: " : "",
                deliver_err);
        bad = 1;
    }
    if (atomic_load(&reader_failed)) {
        fprintf(stderr, "weir-bench-load: %s\n", reader_err);
        bad = 1;
    }
    if (distinct != (size_t)attacks) {
        fprintf(stderr,
                "weir-bench-load: %ld attacks produced, alerts for %zu of them arrived within "
                "%.0f s of the last event\n",
                attacks, distinct, opt.drain);
        bad = 1;
    }
    return bad;
}
