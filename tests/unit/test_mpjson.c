/* msgpack → JSON: valid JSON for any bytes, and the compact alert line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weir/mpjson.h"

static char *json_of_str(const char *s, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    mpjson_write_str(fp, s, n);
    fclose(fp);
    return buf;
}

static void test_quotes_backslashes_and_controls_are_escaped(void **state)
{
    (void)state;
    char *j = json_of_str("a\"b\\c\nd\te\x01", 10);
    assert_string_equal(j, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
    free(j);
}

static void test_valid_utf8_passes_through(void **state)
{
    (void)state;
    const char s[] = "caf\xc3\xa9 \xe2\x82\xac";
    char *j = json_of_str(s, sizeof(s) - 1);
    assert_string_equal(j, "\"caf\xc3\xa9 \xe2\x82\xac\"");
    free(j);
}

static void test_invalid_utf8_bytes_become_u00xx(void **state)
{
    (void)state;
    /* lone continuation byte, truncated 2-byte sequence, overlong '/' (C0 AF) */
    const char s[] = "\x80x\xc3\xc0\xaf";
    char *j = json_of_str(s, sizeof(s) - 1);
    assert_string_equal(j, "\"\\u0080x\\u00c3\\u00c0\\u00af\"");
    free(j);
}

static void test_nul_byte_is_escaped_not_truncating(void **state)
{
    (void)state;
    char *j = json_of_str("a\0b", 3);
    assert_string_equal(j, "\"a\\u0000b\"");
    free(j);
}

static void test_map_with_nested_values_is_json(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "n", 1);
    msgpack_pack_int64(&pk, -5);
    msgpack_pack_str_with_body(&pk, "a", 1);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_true(&pk);
    msgpack_pack_nil(&pk);
    msgpack_pack_str_with_body(&pk, "b", 1);
    msgpack_pack_bin_with_body(&pk, "raw", 3);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, &off), MSGPACK_UNPACK_SUCCESS);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    mpjson_write(fp, &u.data);
    fclose(fp);
    assert_string_equal(buf, "{\"n\":-5,\"a\":[true,null],\"b\":\"raw\"}");
    free(buf);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quotes_backslashes_and_controls_are_escaped),
        cmocka_unit_test(test_valid_utf8_passes_through),
        cmocka_unit_test(test_invalid_utf8_bytes_become_u00xx),
        cmocka_unit_test(test_nul_byte_is_escaped_not_truncating),
        cmocka_unit_test(test_map_with_nested_values_is_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
