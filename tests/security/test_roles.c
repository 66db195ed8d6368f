/* test_roles: the pure parts of server/zap.c that authorization relies on:
 * role names, and which functions a peer may see or act for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "zap.h"

static ismo_peer peer(ismo_role role, const char *functions)
{
    ismo_peer p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "p");
    p.role = role;
    snprintf(p.functions, sizeof p.functions, "%s", functions);
    return p;
}

static void test_role_names(void **state)
{
    const ismo_role roles[] = {ISMO_ROLE_AGENT, ISMO_ROLE_OWNER, ISMO_ROLE_AUDITOR, ISMO_ROLE_ADMIN};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ismo_role_parse(ismo_role_name(roles[i])), roles[i]);
    }
    assert_int_equal(ismo_role_parse("Admin"), ISMO_ROLE_NONE); /* exact, lower-case */
    assert_int_equal(ismo_role_parse("server"), ISMO_ROLE_NONE);
    assert_int_equal(ismo_role_parse(""), ISMO_ROLE_NONE);
    assert_int_equal(ismo_role_parse(NULL), ISMO_ROLE_NONE);
}

static void test_functions(void **state)
{
    ismo_peer a = peer(ISMO_ROLE_AGENT, "it-ops, hr");
    assert_true(ismo_peer_limited(&a));
    assert_true(ismo_peer_has_function(&a, "it-ops"));
    assert_true(ismo_peer_has_function(&a, "hr"));
    assert_false(ismo_peer_has_function(&a, "h"));        /* whole names only */
    assert_false(ismo_peer_has_function(&a, "it-ops,hr"));
    assert_false(ismo_peer_has_function(&a, "finance"));
    assert_false(ismo_peer_has_function(&a, ""));
    assert_false(ismo_peer_has_function(&a, NULL));
    ismo_peer none = peer(ISMO_ROLE_AGENT, "");
    assert_false(ismo_peer_has_function(&none, "it-ops"));
    ismo_peer star = peer(ISMO_ROLE_AGENT, "*");
    assert_false(ismo_peer_limited(&star));
    assert_true(ismo_peer_has_function(&star, "anything"));
    ismo_peer owner = peer(ISMO_ROLE_OWNER, "hr");
    assert_false(ismo_peer_has_function(&owner, "it-ops"));
    ismo_peer auditor = peer(ISMO_ROLE_AUDITOR, "");
    ismo_peer admin = peer(ISMO_ROLE_ADMIN, "hr");
    assert_false(ismo_peer_limited(&auditor));
    assert_true(ismo_peer_has_function(&auditor, "it-ops"));
    assert_true(ismo_peer_has_function(&admin, "it-ops"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_names),
        cmocka_unit_test(test_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
