/*
 * Batched NFQUEUE verdicts: which messages a read's verdicts become.
 */
#include "tests/unit/testutil.h"

#include "gateway/flows/vbatch.h"

#include <linux/netfilter.h>

struct msg {
    uint32_t id;
    int verdict;
    bool batch;
};

static struct msg sent[16];
static size_t nsent;

static void record(void *ctx, uint32_t id, int verdict, bool batch)
{
    (void)ctx;
    if (nsent < 16)
        sent[nsent] = (struct msg){id, verdict, batch};
    nsent++;
}

static struct bb_vbatch fresh(void)
{
    nsent = 0;
    return (struct bb_vbatch){.send = record};
}

static void test_drops_become_one_batch_at_the_end_of_the_read(void **state)
{
    (void)state;
    struct bb_vbatch b = fresh();
    for (uint32_t id = 7; id < 107; id++)
        bb_vbatch_add(&b, id, NF_DROP);
    assert_int_equal(nsent, 0); /* nothing before the read ends */
    bb_vbatch_flush(&b);
    assert_int_equal(nsent, 1);
    assert_int_equal(sent[0].id, 106);
    assert_int_equal(sent[0].verdict, NF_DROP);
    assert_true(sent[0].batch);
    bb_vbatch_flush(&b); /* nothing pending: nothing sent */
    assert_int_equal(nsent, 1);
}

static void test_an_accept_goes_at_once_and_alone(void **state)
{
    (void)state;
    struct bb_vbatch b = fresh();
    bb_vbatch_add(&b, 1, NF_DROP);
    bb_vbatch_add(&b, 2, NF_ACCEPT);
    assert_int_equal(nsent, 1);
    assert_int_equal(sent[0].id, 2);
    assert_int_equal(sent[0].verdict, NF_ACCEPT);
    assert_false(sent[0].batch);
    bb_vbatch_add(&b, 3, NF_DROP);
    bb_vbatch_flush(&b);
    assert_int_equal(nsent, 2);
    assert_int_equal(sent[1].id, 3);
    assert_int_equal(sent[1].verdict, NF_DROP);
    assert_true(sent[1].batch);
}

static void test_a_read_of_accepts_sends_no_batch(void **state)
{
    (void)state;
    struct bb_vbatch b = fresh();
    bb_vbatch_add(&b, 10, NF_ACCEPT);
    bb_vbatch_add(&b, 11, NF_ACCEPT);
    bb_vbatch_flush(&b);
    assert_int_equal(nsent, 2);
    assert_false(sent[0].batch);
    assert_false(sent[1].batch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drops_become_one_batch_at_the_end_of_the_read),
        cmocka_unit_test(test_an_accept_goes_at_once_and_alone),
        cmocka_unit_test(test_a_read_of_accepts_sends_no_batch),
    };
    return cmocka_run_group_tests_name("gateway/vbatch", tests, NULL, NULL);
}
