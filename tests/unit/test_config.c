/* The config module: the key table, each source, precedence, cross-key rules, help, docs, dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weir/config.h"
#include "weir/log.h"
#include "weir/pipeline.h"

#define CFG_DIR FIXTURES "/config/"
#define DOCS    FIXTURES "/../../docs/config.md"
#define EXAMPLE FIXTURES "/../../weir.example.yaml"

static int setup(void **state)
{
    weir_config *c = weir_config_new();
    if (!c)
        return -1;
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    weir_config_free(*state);
    return 0;
}

static int load(weir_config *c, const char *fixture, char *err, size_t errlen)
{
    char path[512];
    snprintf(path, sizeof(path), CFG_DIR "%s", fixture);
    return weir_config_load_file(c, path, err, errlen);
}

static int load_str(weir_config *c, const char *yaml, char *err, size_t errlen)
{
    return weir_config_load_buffer(c, "mem.yaml", yaml, strlen(yaml), err, errlen);
}

/* Loading the fixture fails with exactly "<fixture path>:<rest>". */
static void assert_file_error(const char *fixture, const char *rest)
{
    weir_config *c = weir_config_new();
    char err[1024] = "", want[1024];
    assert_int_equal(load(c, fixture, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), CFG_DIR "%s:%s", fixture, rest);
    assert_string_equal(err, want);
    weir_config_free(c);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, fp);
    s[got] = '\0';
    fclose(fp);
    return s;
}

/* ---- defaults and a full file ---------------------------------------------------------------- */

static void test_defaults_hold_without_any_source(void **state)
{
    weir_config *c = *state;
    size_t n;
    assert_string_equal(weir_config_str(c, WEIR_CFG_BROKERS), "");
    assert_string_equal(weir_config_str(c, WEIR_CFG_GROUP_ID), "weir");
    assert_string_equal(weir_config_str(c, WEIR_CFG_ALERTS_TOPIC), "weir-alerts");
    assert_string_equal(weir_config_str(c, WEIR_CFG_DEAD_LETTER_TOPIC), "");
    assert_string_equal(weir_config_str(c, WEIR_CFG_RULES_DB), "");
    assert_string_equal(weir_config_str(c, WEIR_CFG_METRICS_LISTEN), "");
    assert_int_equal(weir_config_int(c, WEIR_CFG_WORKERS), 0);
    assert_int_equal(weir_config_int(c, WEIR_CFG_DELIVERY), WEIR_CFG_DELIVERY_AT_LEAST_ONCE);
    assert_string_equal(weir_config_str(c, WEIR_CFG_DELIVERY), "at-least-once");
    assert_int_equal(weir_config_int(c, WEIR_CFG_MAX_EVENT_SIZE), 64 * 1024);
    assert_int_equal(weir_config_int(c, WEIR_CFG_OVERSIZE), WEIR_CFG_OVERSIZE_TRUNCATE);
    assert_int_equal(weir_config_int(c, WEIR_CFG_BATCH_MAX_EVENTS), 100000);
    assert_int_equal(weir_config_int(c, WEIR_CFG_BATCH_MAX_MS), 200);
    assert_int_equal(weir_config_int(c, WEIR_CFG_CONNECT_TIMEOUT), 10000);
    assert_int_equal(weir_config_int(c, WEIR_CFG_EXIT_EOF), 0);
    assert_int_equal(weir_config_int(c, WEIR_CFG_LOG_LEVEL), WLOG_INFO);
    assert_int_equal(weir_config_int(c, WEIR_CFG_LOG_FORMAT), WLOG_JSON);
    assert_int_equal(weir_config_int(c, WEIR_CFG_PROGRESS_INTERVAL), 10000);
    weir_config_list(c, WEIR_CFG_INPUTS, &n);
    assert_int_equal(n, 0);
    weir_config_list(c, WEIR_CFG_RULES, &n);
    assert_int_equal(n, 0);
    weir_config_list(c, WEIR_CFG_KAFKA_CONSUMER, &n);
    assert_int_equal(n, 0);
    assert_string_equal(weir_config_origin(c, WEIR_CFG_WORKERS), "default");
}

static void test_defaults_alone_fail_validation_for_want_of_brokers(void **state)
{
    char err[512];
    assert_int_equal(weir_config_validate(*state, err, sizeof(err)), -1);
    assert_string_equal(err, "key 'brokers' is required: set it in the file, in WEIR_BROKERS or "
                             "with --brokers");
}

static void test_full_file_sets_every_key(void **state)
{
    weir_config *c = *state;
    char err[1024] = "";
    size_t n;
    assert_int_equal(load(c, "full.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_validate(c, err, sizeof(err)), 0);
    assert_string_equal(weir_config_str(c, WEIR_CFG_BROKERS),
                        "kafka-0.kafka:9092,kafka-1.kafka:9092");
    assert_string_equal(weir_config_str(c, WEIR_CFG_GROUP_ID), "weir-prod");
    const char *const *topics = weir_config_list(c, WEIR_CFG_INPUTS, &n);
    assert_int_equal(n, 3);
    assert_string_equal(topics[0], "iis-logs");
    assert_int_equal(weir_config_input_format(c, 0), WEIR_FMT_IIS);
    assert_string_equal(topics[1], "exchange-proxy");
    assert_int_equal(weir_config_input_format(c, 1), WEIR_FMT_HTTPPROXY);
    assert_string_equal(topics[2], "misc");
    assert_int_equal(weir_config_input_format(c, 2), WEIR_FMT_AUTO);
    assert_string_equal(weir_config_str(c, WEIR_CFG_ALERTS_TOPIC), "soc-alerts");
    assert_string_equal(weir_config_str(c, WEIR_CFG_DEAD_LETTER_TOPIC), "weir-dead-letters");
    assert_string_equal(weir_config_str(c, WEIR_CFG_RULES_DB), "/var/lib/weir/rules.db");
    assert_int_equal(weir_config_int(c, WEIR_CFG_WORKERS), 8);
    assert_int_equal(weir_config_int(c, WEIR_CFG_DELIVERY), WEIR_CFG_DELIVERY_EXACTLY_ONCE);
    assert_int_equal(weir_config_int(c, WEIR_CFG_MAX_EVENT_SIZE), 1024 * 1024);
    assert_int_equal(weir_config_int(c, WEIR_CFG_OVERSIZE), WEIR_CFG_OVERSIZE_DEAD_LETTER);
    assert_int_equal(weir_config_int(c, WEIR_CFG_BATCH_MAX_EVENTS), 5000);
    assert_int_equal(weir_config_int(c, WEIR_CFG_BATCH_MAX_MS), 500);
    assert_int_equal(weir_config_int(c, WEIR_CFG_CONNECT_TIMEOUT), 30000);
    assert_int_equal(weir_config_int(c, WEIR_CFG_LOG_LEVEL), WLOG_WARN);
    assert_int_equal(weir_config_int(c, WEIR_CFG_LOG_FORMAT), WLOG_TEXT);
    assert_int_equal(weir_config_int(c, WEIR_CFG_PROGRESS_INTERVAL), 60000);
    const char *const *kc = weir_config_list(c, WEIR_CFG_KAFKA_CONSUMER, &n);
    assert_int_equal(n, 1);
    assert_string_equal(kc[0], "fetch.max.bytes=1048576");
    const char *const *kp = weir_config_list(c, WEIR_CFG_KAFKA_PRODUCER, &n);
    assert_int_equal(n, 1);
    assert_string_equal(kp[0], "compression.type=zstd");
    assert_string_equal(weir_config_str(c, WEIR_CFG_METRICS_LISTEN), "0.0.0.0:9090");
    assert_string_equal(weir_config_origin(c, WEIR_CFG_WORKERS), CFG_DIR "full.yaml:15");
}

static void test_example_at_the_root_loads_and_validates(void **state)
{
    weir_config *c = *state;
    char err[1024] = "";
    size_t n;
    if (weir_config_load_file(c, EXAMPLE, err, sizeof(err)) != 0 ||
        weir_config_validate(c, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    weir_config_list(c, WEIR_CFG_INPUTS, &n);
    assert_int_equal(n, 2);
}

static void test_empty_file_keeps_the_defaults(void **state)
{
    char err[512];
    assert_int_equal(load_str(*state, "# nothing yet\n", err, sizeof(err)), 0);
    assert_string_equal(weir_config_str(*state, WEIR_CFG_GROUP_ID), "weir");
}

/* ---- a bad value of every type names file, line and key ------------------------------------- */

static void test_bad_whole_number_names_file_line_and_key(void **state)
{
    (void)state;
    assert_file_error("bad_int.yaml",
                      "5: key 'workers': expected a whole number from 0 to 256, got 'many'");
}

static void test_whole_number_out_of_range_is_refused(void **state)
{
    char err[512];
    assert_int_equal(load_str(*state, "workers: 257\n", err, sizeof(err)), -1);
    assert_string_equal(
        err, "mem.yaml:1: key 'workers': expected a whole number from 0 to 256, got '257'");
}

static void test_bad_bool_names_file_line_and_key(void **state)
{
    (void)state;
    assert_file_error("bad_bool.yaml", "2: key 'exit_eof': expected true or false, got 'maybe'");
}

static void test_bad_enum_lists_the_allowed_values(void **state)
{
    (void)state;
    assert_file_error(
        "bad_enum.yaml",
        "7: key 'delivery': 'exactly_once' is not one of at-least-once, exactly-once");
}

static void test_bad_size_gives_bounds_and_suffixes(void **state)
{
    (void)state;
    assert_file_error("bad_size.yaml", "2: key 'max_event_size': expected a size from 256 to 256M "
                                       "(bytes, or a number with k, M or G), got '1T'");
}

static void test_duration_without_a_unit_is_refused(void **state)
{
    (void)state;
    assert_file_error("bad_duration.yaml", "4: key 'batch.max_ms': expected a duration from 1ms "
                                           "to 1m (a number with ms, s or m), got '200'");
}

static void test_bad_topic_name_is_refused(void **state)
{
    (void)state;
    assert_file_error("bad_topic.yaml", "2: key 'alerts.topic': 'soc alerts' is not a Kafka topic "
                                        "name (1 to 249 of a-z A-Z 0-9 . _ -)");
}

static void test_metrics_listen_must_be_host_port(void **state)
{
    (void)state;
    assert_file_error("bad_hostport.yaml", "2: key 'metrics.listen': expected host:port (e.g. "
                                           "':9090' or '0.0.0.0:9090'), got 'localhost'");
}

static void test_list_of_paths_given_a_mapping_is_refused(void **state)
{
    (void)state;
    assert_file_error("bad_list.yaml", "2: key 'rules': expected a list of paths, got a mapping");
}

static void test_unknown_input_format_lists_the_formats(void **state)
{
    (void)state;
    assert_file_error("bad_inputs.yaml",
                      "3: key 'inputs': format 'nope' is not one of auto, iis, httpproxy, ecp, "
                      "oab, rpshttp, smtpreceive, msgtrack, syslog, combined, json");
}

static void test_kafka_map_given_a_list_is_refused(void **state)
{
    (void)state;
    assert_file_error("bad_kafka.yaml", "3: key 'kafka.consumer': expected a map of librdkafka "
                                        "properties, got a list");
}

static void test_single_value_key_given_a_list_is_refused(void **state)
{
    char err[512];
    assert_int_equal(load_str(*state, "brokers: x:1\nworkers: [1, 2]\n", err, sizeof(err)), -1);
    assert_string_equal(err, "mem.yaml:2: key 'workers': expected a single value (whole number "
                             "0..256), got a list");
}

static void test_input_without_topic_is_refused(void **state)
{
    char err[512];
    assert_int_equal(load_str(*state, "inputs:\n  - format: iis\n", err, sizeof(err)), -1);
    assert_string_equal(err, "mem.yaml:2: key 'inputs': an input without 'topic'");
}

/* ---- unknown keys, duplicates, YAML errors -------------------------------------------------- */

static void test_unknown_key_suggests_the_closest(void **state)
{
    (void)state;
    assert_file_error("unknown_key.yaml", "3: unknown key 'grup.id' (did you mean 'group.id'?)");
}

static void test_unknown_nested_key_is_named_by_its_dotted_path(void **state)
{
    char err[512];
    assert_int_equal(load_str(*state, "group:\n  idd: x\n", err, sizeof(err)), -1);
    assert_string_equal(err, "mem.yaml:2: unknown key 'group.idd' (did you mean 'group.id'?)");
}

static void test_unknown_key_far_from_any_gets_no_suggestion(void **state)
{
    char err[512];
    assert_int_equal(load_str(*state, "zookeeper: zk:2181\n", err, sizeof(err)), -1);
    assert_string_equal(err, "mem.yaml:1: unknown key 'zookeeper'");
}

static void test_key_given_twice_is_an_error(void **state)
{
    (void)state;
    assert_file_error("duplicate_key.yaml", "4: key 'group.id' given twice (first at line 2)");
}

static void test_yaml_syntax_error_names_line_column_and_reason(void **state)
{
    (void)state;
    assert_file_error("syntax_error.yaml",
                      "4:4: YAML syntax error: did not find expected '-' indicator (while "
                      "parsing a block collection at line 3)");
}

static void test_invalid_utf8_is_a_syntax_error_with_a_position(void **state)
{
    char err[512];
    assert_int_equal(load_str(*state, "brokers: a\ngroup.id: \xff\xfe\n", err, sizeof(err)), -1);
    assert_string_equal(err, "mem.yaml:2:11: YAML syntax error: invalid leading UTF-8 octet");
}

static void test_second_yaml_document_is_an_error(void **state)
{
    char err[512];
    assert_int_equal(load_str(*state, "brokers: a:1\n---\nbrokers: b:1\n", err, sizeof(err)), -1);
    assert_string_equal(err, "mem.yaml:3: a second YAML document; weir reads one");
}

static void test_top_level_must_be_a_mapping(void **state)
{
    char err[512];
    assert_int_equal(load_str(*state, "- brokers\n", err, sizeof(err)), -1);
    assert_string_equal(
        err, "mem.yaml:1: expected a mapping of keys (brokers: ..., inputs: ...), got a list");
}

static void test_missing_file_names_the_path(void **state)
{
    char err[512];
    assert_int_equal(load(*state, "absent.yaml", err, sizeof(err)), -1);
    assert_string_equal(err, CFG_DIR "absent.yaml: cannot open: No such file or directory");
}

/* Hostile or broken files: each is refused with a message naming the file, and nothing leaks
 * (the ASan build checks that part). */
static void test_malformed_files_are_refused_with_a_message(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[",
        "a: *undefined",
        "&a [*a]",
        "kafka: &k {consumer: *k}",
        "group: &g {group: *g}",
        "inputs: [{topic: a, topic: b}]",
        "inputs: [[a]]",
        "brokers: \"a\\0b\"",
        "? [a, b]\n: c",
        "kafka.consumer: {\"\": x}",
        "kafka.consumer: {\"a b\": x}",
        "kafka.consumer: {a: ~}",
        "kafka.consumer: {a: 1, a: 2}",
        "rules: [\"\"]",
        "rules: [[x]]",
        "\"\": 1",
        "max_event_size: 99999999999999999999999G",
        "batch.max_ms: -5ms",
        "workers: 0x10",
        "metrics.listen: \"[::1:9090\"",
        "metrics.listen: \":70000\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        weir_config *c = weir_config_new();
        char err[512] = "";
        if (weir_config_load_buffer(c, "mem.yaml", bad[i], strlen(bad[i]), err, sizeof(err)) != -1)
            fail_msg("accepted: %s", bad[i]);
        if (strncmp(err, "mem.yaml:", 9) != 0)
            fail_msg("'%s' gave '%s'", bad[i], err);
        weir_config_free(c);
    }
}

/* ---- environment and flags ------------------------------------------------------------------ */

static void test_env_overrides_file(void **state)
{
    weir_config *c = *state;
    char err[512];
    char *envp[] = {"HOME=/root", "WEIR_WORKERS=6", "WEIR_GROUP_ID=from-env", NULL};
    assert_int_equal(load(c, "minimal.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_load_env(c, envp, err, sizeof(err)), 0);
    assert_int_equal(weir_config_int(c, WEIR_CFG_WORKERS), 6);
    assert_string_equal(weir_config_origin(c, WEIR_CFG_WORKERS), "WEIR_WORKERS");
    assert_string_equal(weir_config_str(c, WEIR_CFG_GROUP_ID), "from-env");
    assert_string_equal(weir_config_str(c, WEIR_CFG_BROKERS), "localhost:9092");
}

static void test_env_error_names_the_variable(void **state)
{
    char err[512];
    char *envp[] = {"WEIR_WORKERS=many", NULL};
    assert_int_equal(weir_config_load_env(*state, envp, err, sizeof(err)), -1);
    assert_string_equal(err, "WEIR_WORKERS: expected a whole number from 0 to 256, got 'many'");
}

static void test_empty_env_variable_counts_as_unset(void **state)
{
    weir_config *c = *state;
    char err[512];
    char *envp[] = {"WEIR_WORKERS=", "WEIR_INPUTS=", NULL};
    assert_int_equal(load(c, "minimal.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_load_env(c, envp, err, sizeof(err)), 0);
    assert_int_equal(weir_config_int(c, WEIR_CFG_WORKERS), 2);
}

static void test_kubernetes_service_variables_are_ignored(void **state)
{
    char err[512];
    char *envp[] = {"WEIR_SERVICE_HOST=10.0.0.1", "WEIR_PORT=tcp://10.0.0.1:9090", NULL};
    assert_int_equal(weir_config_load_env(*state, envp, err, sizeof(err)), 0);
}

static void test_weir_inputs_shorthand_replaces_the_file_list(void **state)
{
    weir_config *c = *state;
    char err[512];
    size_t n;
    char *envp[] = {"WEIR_INPUTS=iis-logs:iis, exchange-proxy:httpproxy,misc", NULL};
    assert_int_equal(load(c, "minimal.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_load_env(c, envp, err, sizeof(err)), 0);
    const char *const *t = weir_config_list(c, WEIR_CFG_INPUTS, &n);
    assert_int_equal(n, 3);
    assert_string_equal(t[0], "iis-logs");
    assert_int_equal(weir_config_input_format(c, 0), WEIR_FMT_IIS);
    assert_string_equal(t[1], "exchange-proxy");
    assert_int_equal(weir_config_input_format(c, 1), WEIR_FMT_HTTPPROXY);
    assert_string_equal(t[2], "misc");
    assert_int_equal(weir_config_input_format(c, 2), WEIR_FMT_AUTO);
}

static void test_weir_inputs_bad_format_names_the_variable(void **state)
{
    char err[512];
    char *envp[] = {"WEIR_INPUTS=iis:w3c", NULL};
    assert_int_equal(weir_config_load_env(*state, envp, err, sizeof(err)), -1);
    assert_string_equal(err, "WEIR_INPUTS: format 'w3c' is not one of auto, iis, httpproxy, ecp, "
                             "oab, rpshttp, smtpreceive, msgtrack, syslog, combined, json");
}

static void test_flag_overrides_env(void **state)
{
    weir_config *c = *state;
    char err[512];
    char *envp[] = {"WEIR_GROUP_ID=from-env", NULL};
    assert_int_equal(weir_config_load_env(c, envp, err, sizeof(err)), 0);
    assert_int_equal(
        weir_config_set(c, "group.id", "from-flag", WEIR_CFG_SRC_FLAG, err, sizeof(err)), 0);
    assert_string_equal(weir_config_str(c, WEIR_CFG_GROUP_ID), "from-flag");
    assert_string_equal(weir_config_origin(c, WEIR_CFG_GROUP_ID), "command line");
}

static void test_lower_source_applied_later_does_not_override(void **state)
{
    weir_config *c = *state;
    char err[512];
    char *envp[] = {"WEIR_WORKERS=6", NULL};
    assert_int_equal(weir_config_set(c, "workers", "3", WEIR_CFG_SRC_FLAG, err, sizeof(err)), 0);
    assert_int_equal(weir_config_load_env(c, envp, err, sizeof(err)), 0);
    assert_int_equal(load(c, "minimal.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_int(c, WEIR_CFG_WORKERS), 3);
}

static void test_overridden_file_value_is_still_checked(void **state)
{
    weir_config *c = *state;
    char err[512];
    assert_int_equal(weir_config_set(c, "workers", "3", WEIR_CFG_SRC_FLAG, err, sizeof(err)), 0);
    assert_int_equal(load(c, "bad_int.yaml", err, sizeof(err)), -1);
}

static void test_flag_error_names_the_key(void **state)
{
    char err[512];
    assert_int_equal(
        weir_config_set(*state, "delivery", "twice", WEIR_CFG_SRC_FLAG, err, sizeof(err)), -1);
    assert_string_equal(err, "key 'delivery': 'twice' is not one of at-least-once, exactly-once");
}

static void test_set_unknown_key_suggests_the_closest(void **state)
{
    char err[512];
    assert_int_equal(
        weir_config_set(*state, "alert.topic", "x", WEIR_CFG_SRC_FLAG, err, sizeof(err)), -1);
    assert_string_equal(err, "unknown key 'alert.topic' (did you mean 'alerts.topic'?)");
}

static void test_repeated_flags_accumulate_and_replace_the_file_list(void **state)
{
    weir_config *c = *state;
    char err[512];
    size_t n;
    assert_int_equal(load(c, "minimal.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_set(c, "inputs", "a", WEIR_CFG_SRC_FLAG, err, sizeof(err)), 0);
    assert_int_equal(weir_config_set(c, "inputs", "b:syslog", WEIR_CFG_SRC_FLAG, err, sizeof(err)),
                     0);
    const char *const *t = weir_config_list(c, WEIR_CFG_INPUTS, &n);
    assert_int_equal(n, 2);
    assert_string_equal(t[0], "a");
    assert_string_equal(t[1], "b");
    assert_int_equal(weir_config_input_format(c, 1), WEIR_FMT_SYSLOG);
}

/* ---- cross-key rules ------------------------------------------------------------------------ */

static void test_rules_and_rules_db_from_one_source_conflict(void **state)
{
    weir_config *c = *state;
    char err[1024], want[1024];
    assert_int_equal(load(c, "rules_conflict.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_validate(c, err, sizeof(err)), -1);
    snprintf(want, sizeof(want),
             "keys 'rules' (%srules_conflict.yaml:3) and 'rules_db' (%srules_conflict.yaml:5) "
             "exclude each other: give one",
             CFG_DIR, CFG_DIR);
    assert_string_equal(err, want);
}

static void test_rules_db_flag_drops_the_file_rules(void **state)
{
    weir_config *c = *state;
    char err[512];
    size_t n;
    assert_int_equal(weir_config_set(c, "rules_db", "x.db", WEIR_CFG_SRC_FLAG, err, sizeof(err)),
                     0);
    assert_int_equal(
        load_str(c, "brokers: a:1\ninputs: [iis]\nrules: [rules/web]\n", err, sizeof(err)), 0);
    weir_config_list(c, WEIR_CFG_RULES, &n);
    assert_int_equal(n, 0);
    assert_int_equal(weir_config_validate(c, err, sizeof(err)), 0);
}

static void test_rules_flag_drops_the_env_rules_db(void **state)
{
    weir_config *c = *state;
    char err[512];
    char *envp[] = {"WEIR_RULES_DB=x.db", NULL};
    assert_int_equal(weir_config_load_env(c, envp, err, sizeof(err)), 0);
    assert_int_equal(weir_config_set(c, "rules", "rules/web", WEIR_CFG_SRC_FLAG, err, sizeof(err)),
                     0);
    assert_string_equal(weir_config_str(c, WEIR_CFG_RULES_DB), "");
}

static void test_oversize_dead_letter_without_topic_names_both_keys(void **state)
{
    weir_config *c = *state;
    char err[1024], want[1024];
    assert_int_equal(load(c, "oversize_no_topic.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_validate(c, err, sizeof(err)), -1);
    snprintf(want, sizeof(want),
             "key 'oversize' is dead-letter (%soversize_no_topic.yaml:3) but key "
             "'dead_letter.topic' is empty: set a dead-letter topic or use oversize: truncate",
             CFG_DIR);
    assert_string_equal(err, want);
}

static void test_alerts_topic_that_is_an_input_is_refused(void **state)
{
    char err[512];
    assert_int_equal(
        load_str(*state, "brokers: a:1\ninputs: [iis, weir-alerts]\n", err, sizeof(err)), 0);
    assert_int_equal(weir_config_validate(*state, err, sizeof(err)), -1);
    assert_string_equal(
        err, "key 'alerts.topic' 'weir-alerts' is also an input: weir would scan its own alerts");
}

static void test_input_listed_twice_is_refused(void **state)
{
    char err[512];
    assert_int_equal(load_str(*state, "brokers: a:1\ninputs: [iis, 'iis:iis']\n", err, sizeof(err)),
                     0);
    assert_int_equal(weir_config_validate(*state, err, sizeof(err)), -1);
    assert_string_equal(err, "key 'inputs': topic 'iis' is listed twice (mem.yaml:2)");
}

/* ---- librdkafka passthrough ----------------------------------------------------------------- */

static void test_kafka_consumer_keeps_order_and_scalar_text(void **state)
{
    weir_config *c = *state;
    char err[512];
    size_t n;
    static const char *const want[] = {
        "session.timeout.ms=45000",
        "enable.auto.commit=false",
        "client.id=weir-1",
        "fetch.wait.max.ms=100",
        "check.crcs=True",
        "debug=consumer,cgrp",
        "statistics.interval.ms=0x10",
        "partition.assignment.strategy=cooperative-sticky",
    };
    assert_int_equal(load(c, "kafka_passthrough.yaml", err, sizeof(err)), 0);
    const char *const *kv = weir_config_list(c, WEIR_CFG_KAFKA_CONSUMER, &n);
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < n; i++)
        assert_string_equal(kv[i], want[i]);
}

static void test_kafka_env_merges_property_by_property(void **state)
{
    weir_config *c = *state;
    char err[512];
    size_t n;
    char *envp[] = {"WEIR_KAFKA_CONSUMER=sasl.password=from-env; fetch.min.bytes=1\n"
                    "debug=cgrp,topic",
                    NULL};
    assert_int_equal(load(c, "secrets.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_load_env(c, envp, err, sizeof(err)), 0);
    const char *const *kv = weir_config_list(c, WEIR_CFG_KAFKA_CONSUMER, &n);
    assert_int_equal(n, 7);
    assert_string_equal(kv[3], "sasl.password=from-env"); /* replaced where it stood */
    assert_string_equal(kv[5], "fetch.min.bytes=1");
    assert_string_equal(kv[6], "debug=cgrp,topic");
}

static void test_kafka_flag_takes_one_property(void **state)
{
    weir_config *c = *state;
    char err[512];
    size_t n;
    assert_int_equal(
        weir_config_set(c, "kafka.producer", "linger.ms=5", WEIR_CFG_SRC_FLAG, err, sizeof(err)),
        0);
    assert_int_equal(
        weir_config_set(c, "kafka.producer.acks", "all", WEIR_CFG_SRC_FLAG, err, sizeof(err)), 0);
    const char *const *kv = weir_config_list(c, WEIR_CFG_KAFKA_PRODUCER, &n);
    assert_int_equal(n, 2);
    assert_string_equal(kv[0], "linger.ms=5");
    assert_string_equal(kv[1], "acks=all");
}

/* ---- dump, help, docs ----------------------------------------------------------------------- */

static char *dump_of(const weir_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    weir_config_dump(c, fp);
    fclose(fp);
    return buf;
}

static void test_dump_redacts_secrets(void **state)
{
    weir_config *c = *state;
    char err[512];
    assert_int_equal(load(c, "secrets.yaml", err, sizeof(err)), 0);
    char *d = dump_of(c);
    assert_null(strstr(d, "hunter2"));
    assert_null(strstr(d, "k3y-pass"));
    assert_null(strstr(d, "s3cr3t"));
    assert_null(strstr(d, "principal=weir"));
    assert_non_null(strstr(d, "  \"sasl.password\": \"[redacted]\"\n"));
    assert_non_null(strstr(d, "  \"sasl.oauthbearer.config\": \"[redacted]\"\n"));
    assert_non_null(strstr(d, "  \"sasl.username\": \"weir\"\n"));
    assert_non_null(strstr(d, "  \"linger.ms\": \"5\"\n"));
    free(d);
}

static void test_dump_names_each_origin(void **state)
{
    weir_config *c = *state;
    char err[512];
    char *envp[] = {"WEIR_LOG_LEVEL=debug", NULL};
    assert_int_equal(load(c, "minimal.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_load_env(c, envp, err, sizeof(err)), 0);
    char *d = dump_of(c);
    assert_non_null(strstr(d, "\nworkers: 2  # " CFG_DIR "minimal.yaml:5\n"));
    assert_non_null(strstr(d, "\nlog.level: debug  # WEIR_LOG_LEVEL\n"));
    assert_non_null(strstr(d, "\nbatch.max_ms: 200ms  # default\n"));
    free(d);
}

static void test_dump_reads_back_to_the_same_config(void **state)
{
    weir_config *c = *state;
    char err[512];
    assert_int_equal(load(c, "full.yaml", err, sizeof(err)), 0);
    char *d = dump_of(c);
    weir_config *r = weir_config_new();
    if (weir_config_load_buffer(r, "dump.yaml", d, strlen(d), err, sizeof(err)) != 0)
        fail_msg("%s\n%s", err, d);
    for (int k = 0; k < WEIR_CFG__COUNT; k++) {
        size_t n1, n2;
        const char *s1 = weir_config_str(c, (weir_cfg_key)k),
                   *s2 = weir_config_str(r, (weir_cfg_key)k);
        if (s1)
            assert_string_equal(s1, s2);
        assert_int_equal(weir_config_int(c, (weir_cfg_key)k), weir_config_int(r, (weir_cfg_key)k));
        const char *const *l1 = weir_config_list(c, (weir_cfg_key)k, &n1);
        const char *const *l2 = weir_config_list(r, (weir_cfg_key)k, &n2);
        assert_int_equal(n1, n2);
        for (size_t i = 0; i < n1; i++)
            assert_string_equal(l1[i], l2[i]);
    }
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(weir_config_input_format(c, i), weir_config_input_format(r, i));
    weir_config_free(r);
    free(d);
}

static void test_env_names_follow_the_key_names(void **state)
{
    (void)state;
    for (int k = 0; k < WEIR_CFG__COUNT; k++) {
        weir_cfg_info in;
        char want[128] = "WEIR_";
        size_t n = 5;
        weir_config_key_info((weir_cfg_key)k, &in);
        for (const char *p = in.name; *p && n + 1 < sizeof(want); p++)
            want[n++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
        want[n] = '\0';
        assert_string_equal(in.env, want);
    }
}

static void test_help_lists_every_key_with_its_variable(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    weir_config_help(fp);
    fclose(fp);
    for (int k = 0; k < WEIR_CFG__COUNT; k++) {
        weir_cfg_info in;
        char line[128];
        weir_config_key_info((weir_cfg_key)k, &in);
        snprintf(line, sizeof(line), "\n  %-20s %-24s default: ", in.name, in.env);
        if (!strstr(buf, line))
            fail_msg("--help lacks %s", in.name);
    }
    free(buf);
}

/* docs/config.md carries the table's Markdown rows verbatim: change a key, paste its new row. */
static void test_docs_have_the_row_of_every_key(void **state)
{
    (void)state;
    char *doc = slurp(DOCS), *rows = NULL;
    size_t len = 0;
    assert_non_null(doc);
    FILE *fp = open_memstream(&rows, &len);
    weir_config_help_markdown(fp);
    fclose(fp);
    for (char *line = strtok(rows, "\n"); line; line = strtok(NULL, "\n"))
        if (!strstr(doc, line))
            fail_msg("docs/config.md lacks this row of weir_config_help_markdown:\n%s", line);
    for (int k = 0; k < WEIR_CFG__COUNT; k++) {
        weir_cfg_info in;
        char key[80];
        weir_config_key_info((weir_cfg_key)k, &in);
        snprintf(key, sizeof(key), "`%s`", in.name);
        assert_non_null(strstr(doc, key));
    }
    free(rows);
    free(doc);
}

/* ---- the pipeline's options ----------------------------------------------------------------- */

static void test_pipeline_opts_come_from_the_config(void **state)
{
    weir_config *c = *state;
    char err[512];
    weir_pipeline_opts o;
    weir_pipeline_opts_init(&o);
    assert_int_equal(load(c, "minimal.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_pipeline_opts(c, &o, err, sizeof(err)), 0);
    assert_string_equal(o.brokers, "localhost:9092");
    assert_string_equal(o.group, "weir");
    assert_int_equal(o.ntopics, 1);
    assert_string_equal(o.topics[0], "iis-logs");
    assert_int_equal(o.format, WEIR_FMT_IIS);
    assert_int_equal(o.workers, 2);
    assert_int_equal(o.batch_max, 100000);
    assert_int_equal(o.batch_ms, 200);
    assert_int_equal(o.connect_timeout_ms, 10000);
    assert_int_equal(o.shutdown_timeout_ms, 20000);
    assert_int_equal(o.max_event, 65536);
    assert_int_equal(o.exactly_once, 0);
    assert_true(o.progress_s == 10.0);
}

static void test_pipeline_opts_keep_a_format_per_input(void **state)
{
    weir_config *c = *state;
    char err[512];
    weir_pipeline_opts o;
    weir_pipeline_opts_init(&o);
    assert_int_equal(load(c, "full.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_pipeline_opts(c, &o, err, sizeof(err)), 0);
    assert_int_equal(o.ntopics, 3);
    assert_true(o.per_topic_format);
    assert_string_equal(o.topics[0], "iis-logs");
    assert_int_equal(o.formats[0], WEIR_FMT_IIS);
    assert_string_equal(o.topics[1], "exchange-proxy");
    assert_int_equal(o.formats[1], WEIR_FMT_HTTPPROXY);
    assert_string_equal(o.topics[2], "misc");
    assert_int_equal(o.formats[2], WEIR_FMT_AUTO);
}

static void test_pipeline_opts_carry_dead_letters(void **state)
{
    weir_config *c = *state;
    char err[512];
    weir_pipeline_opts o;
    weir_pipeline_opts_init(&o);
    assert_int_equal(load(c, "minimal.yaml", err, sizeof(err)), 0);
    assert_int_equal(weir_config_set(c, "dead_letter.topic", "weir-dead", WEIR_CFG_SRC_FLAG, err,
                                     sizeof(err)), 0);
    assert_int_equal(weir_config_set(c, "oversize", "dead-letter", WEIR_CFG_SRC_FLAG, err,
                                     sizeof(err)), 0);
    assert_int_equal(weir_config_validate(c, err, sizeof(err)), 0);
    assert_int_equal(weir_config_pipeline_opts(c, &o, err, sizeof(err)), 0);
    assert_string_equal(o.dead_letter_topic, "weir-dead");
    assert_true(o.oversize_dead_letter);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_defaults_hold_without_any_source),
        T(test_defaults_alone_fail_validation_for_want_of_brokers),
        T(test_full_file_sets_every_key),
        T(test_example_at_the_root_loads_and_validates),
        T(test_empty_file_keeps_the_defaults),
        T(test_bad_whole_number_names_file_line_and_key),
        T(test_whole_number_out_of_range_is_refused),
        T(test_bad_bool_names_file_line_and_key),
        T(test_bad_enum_lists_the_allowed_values),
        T(test_bad_size_gives_bounds_and_suffixes),
        T(test_duration_without_a_unit_is_refused),
        T(test_bad_topic_name_is_refused),
        T(test_metrics_listen_must_be_host_port),
        T(test_list_of_paths_given_a_mapping_is_refused),
        T(test_unknown_input_format_lists_the_formats),
        T(test_kafka_map_given_a_list_is_refused),
        T(test_single_value_key_given_a_list_is_refused),
        T(test_input_without_topic_is_refused),
        T(test_unknown_key_suggests_the_closest),
        T(test_unknown_nested_key_is_named_by_its_dotted_path),
        T(test_unknown_key_far_from_any_gets_no_suggestion),
        T(test_key_given_twice_is_an_error),
        T(test_yaml_syntax_error_names_line_column_and_reason),
        T(test_invalid_utf8_is_a_syntax_error_with_a_position),
        T(test_second_yaml_document_is_an_error),
        T(test_top_level_must_be_a_mapping),
        T(test_missing_file_names_the_path),
        T(test_malformed_files_are_refused_with_a_message),
        T(test_env_overrides_file),
        T(test_env_error_names_the_variable),
        T(test_empty_env_variable_counts_as_unset),
        T(test_kubernetes_service_variables_are_ignored),
        T(test_weir_inputs_shorthand_replaces_the_file_list),
        T(test_weir_inputs_bad_format_names_the_variable),
        T(test_flag_overrides_env),
        T(test_lower_source_applied_later_does_not_override),
        T(test_overridden_file_value_is_still_checked),
        T(test_flag_error_names_the_key),
        T(test_set_unknown_key_suggests_the_closest),
        T(test_repeated_flags_accumulate_and_replace_the_file_list),
        T(test_rules_and_rules_db_from_one_source_conflict),
        T(test_rules_db_flag_drops_the_file_rules),
        T(test_rules_flag_drops_the_env_rules_db),
        T(test_oversize_dead_letter_without_topic_names_both_keys),
        T(test_alerts_topic_that_is_an_input_is_refused),
        T(test_input_listed_twice_is_refused),
        T(test_kafka_consumer_keeps_order_and_scalar_text),
        T(test_kafka_env_merges_property_by_property),
        T(test_kafka_flag_takes_one_property),
        T(test_dump_redacts_secrets),
        T(test_dump_names_each_origin),
        T(test_dump_reads_back_to_the_same_config),
        T(test_env_names_follow_the_key_names),
        T(test_help_lists_every_key_with_its_variable),
        T(test_docs_have_the_row_of_every_key),
        T(test_pipeline_opts_come_from_the_config),
        T(test_pipeline_opts_keep_a_format_per_input),
        T(test_pipeline_opts_carry_dead_letters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
