/*
 * The Prometheus endpoint. Deliberately minimal HTTP/1.0: one request per connection, read with
 * a short timeout, answered and closed. A scrape every few seconds needs nothing more, and a
 * hand-written server this small is less to audit than an embedded HTTP library.
 */
#include "weir/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "weir/clock.h"

#define STALE_S 60.0 /* /healthz fails when the pipeline has not published for this long */

struct weir_metrics {
    int fd, port;
    pthread_t thread;
    atomic_int stopping;
    pthread_mutex_t mu; /* guards the snapshot */
    weir_pipeline_stats st;
    int64_t lag;
    char version[32];
    double published; /* weir_now_s() of the last snapshot; 0: none yet */
    double started;
};

static int bind_listen(const char *addr, int *port, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof(host)) {
        snprintf(err, errlen, "metrics.listen '%s': expected host:port", addr);
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    if (host[0] == '[') { /* [::1] */
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE}, *res;
    int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "metrics.listen '%s': %s", addr, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 16) != 0) {
            snprintf(err, errlen, "metrics.listen '%s': %s", addr, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    char serv[16] = "0";
    getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, serv, sizeof(serv), NI_NUMERICSERV);
    *port = atoi(serv);
    return fd;
}

/* One counter or gauge with its help and type lines. */
static void put(FILE *f, const char *name, const char *type, const char *help, double v)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
}

static void render(weir_metrics *m, FILE *f)
{
    pthread_mutex_lock(&m->mu);
    weir_pipeline_stats st = m->st;
    int64_t lag = m->lag;
    char version[32];
    snprintf(version, sizeof(version), "%s", m->version);
    pthread_mutex_unlock(&m->mu);
    put(f, "weir_events_total", "counter", "Events read from the input topics.",
        (double)st.consumed);
    put(f, "weir_event_bytes_total", "counter", "Bytes of the events read.", (double)st.bytes);
    put(f, "weir_alerts_total", "counter", "Alerts produced (events with at least one match).",
        (double)st.matched);
    put(f, "weir_alerts_acked_total", "counter", "Alerts acknowledged by the broker.",
        (double)st.alerts_acked);
    put(f, "weir_events_malformed_total", "counter",
        "Events that did not parse as their format (scanned raw).", (double)st.malformed);
    put(f, "weir_events_oversized_total", "counter",
        "Events longer than max_event_size (parsed up to it).", (double)st.oversized);
    put(f, "weir_dead_letters_total", "counter", "Events copied to the dead-letter topic.",
        (double)st.dead_lettered);
    put(f, "weir_commits_total", "counter", "Offset commits (or transactions) that succeeded.",
        (double)st.commits);
    put(f, "weir_commit_errors_total", "counter",
        "Offset commits that failed (events re-read: duplicates, not loss).",
        (double)st.commit_errors);
    put(f, "weir_input_pauses_total", "counter",
        "Times input was paused because alerts were acknowledged slower than events arrived.",
        (double)st.pauses);
    put(f, "weir_partition_moves_total", "counter",
        "Partitions handed to a less busy worker (when none of their events was in flight).",
        (double)st.partition_moves);
    put(f, "weir_fetch_wakeups_total", "counter",
        "Requests sent to wake librdkafka's fetching after half its prefetch queue was read.",
        (double)st.fetch_wakeups);
    put(f, "weir_worker_queue_full_seconds_total", "counter",
        "Seconds the reading thread waited for room in a worker's queue: scanning is the "
        "bottleneck (more CPUs or workers would help).",
        st.worker_queue_full_s);
    put(f, "weir_rules_reloads_total", "counter", "Rule sets swapped in while running.",
        (double)st.reloads);
    put(f, "weir_rules_reload_failures_total", "counter",
        "Rule reloads that failed (the rules in use kept running).", (double)st.reload_failures);
    if (lag >= 0)
        put(f, "weir_consumer_lag", "gauge", "Events not yet consumed on assigned partitions.",
            (double)lag);
    if (st.read_delay_ms >= 0)
        put(f, "weir_read_delay_seconds", "gauge",
            "Age of the oldest event of the latest consumer read (read time minus the event's "
            "Kafka timestamp): how far behind its input weir is.",
            (double)st.read_delay_ms / 1000.0);
    fprintf(f, "# HELP weir_rules_info The rules version (hash) in use.\n"
               "# TYPE weir_rules_info gauge\nweir_rules_info{version=\"%s\"} 1\n",
            version);
}

static void respond(int c, int code, const char *reason, const char *body, size_t len)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.0 %d %s\r\nContent-Type: text/plain; version=0.0.4; "
                     "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     code, reason, len);
    if (write(c, head, (size_t)n) == n && len)
        (void)!write(c, body, len);
}

static void serve(weir_metrics *m, int c)
{
    char req[2048];
    size_t got = 0;
    /* a slow or silent client must not hold the endpoint: one second for the request line */
    while (got < sizeof(req) - 1 && !memchr(req, '\n', got)) {
        struct pollfd p = {.fd = c, .events = POLLIN};
        if (poll(&p, 1, 1000) <= 0)
            return;
        ssize_t r = read(c, req + got, sizeof(req) - 1 - got);
        if (r <= 0)
            return;
        got += (size_t)r;
    }
    req[got] = '\0';
    char *body = NULL;
    size_t len = 0;
    if (strncmp(req, "GET /metrics", 12) == 0 && strchr(" ?", req[12])) {
        FILE *f = open_memstream(&body, &len);
        if (!f)
            return;
        render(m, f);
        fclose(f);
        respond(c, 200, "OK", body, len);
    } else if (strncmp(req, "GET /healthz", 12) == 0) {
        pthread_mutex_lock(&m->mu);
        double last = m->published ? m->published : m->started;
        pthread_mutex_unlock(&m->mu);
        int ok = weir_now_s() - last < STALE_S;
        respond(c, ok ? 200 : 503, ok ? "OK" : "Service Unavailable", ok ? "ok\n" : "stalled\n",
                ok ? 3 : 8);
    } else {
        respond(c, 404, "Not Found", "try /metrics or /healthz\n", 25);
    }
    free(body);
}

static void *metrics_main(void *arg)
{
    weir_metrics *m = arg;
    while (!atomic_load(&m->stopping)) {
        struct pollfd p = {.fd = m->fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int c = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        serve(m, c);
        close(c);
    }
    return NULL;
}

weir_metrics *weir_metrics_start(const char *addr, char *err, size_t errlen)
{
    weir_metrics *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if ((m->fd = bind_listen(addr, &m->port, err, errlen)) < 0) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->mu, NULL);
    atomic_init(&m->stopping, 0);
    m->lag = -1;
    m->started = weir_now_s();
    if (pthread_create(&m->thread, NULL, metrics_main, m) != 0) {
        snprintf(err, errlen, "cannot start the metrics thread");
        close(m->fd);
        pthread_mutex_destroy(&m->mu);
        free(m);
        return NULL;
    }
    return m;
}

int weir_metrics_port(const weir_metrics *m)
{
    return m->port;
}

void weir_metrics_publish(weir_metrics *m, const weir_pipeline_stats *st, int64_t lag,
                          const char *rules_version)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->st = *st;
    m->lag = lag;
    snprintf(m->version, sizeof(m->version), "%s", rules_version ? rules_version : "");
    m->published = weir_now_s();
    pthread_mutex_unlock(&m->mu);
}

void weir_metrics_stop(weir_metrics *m)
{
    if (!m)
        return;
    atomic_store(&m->stopping, 1);
    pthread_join(m->thread, NULL);
    close(m->fd);
    pthread_mutex_destroy(&m->mu);
    free(m);
}
