/*
 * nft_fault: sends botbox's real ruleset for CONFIG with one object
 * corrupted, so the kernel refuses it: element N of client_ifaces gets a
 * 17-byte key in a set of 16-byte keys (EINVAL). The validator never lets
 * such a config through, so this test tool is how the scenarios provoke a
 * genuine kernel refusal and check that the error names the config line and
 * that the previous ruleset stays. Prints the diagnostics, exits 1 when the
 * transaction was refused (the expected outcome), 0 if it was applied.
 *
 * usage: nft_fault CONFIG IFACE_INDEX
 */
#include "common/diag.h"
#include "nft/nft.h"
#include "nft/nft_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int corrupt(struct bb_ruleset *rs, const char *path)
{
    for (size_t i = 0; i < rs->n; i++) {
        struct bb_nft_obj *o = &rs->objs[i];
        if (o->kind != BB_NFT_OBJ_ELEM || strcmp(o->path, path) != 0)
            continue;
        struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(o->set);
        struct nftnl_set_elem *e = it ? nftnl_set_elems_iter_next(it) : NULL;
        char key[17] = "corrupted-key-17";
        if (e != NULL)
            nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key));
        if (it != NULL)
            nftnl_set_elems_iter_destroy(it);
        return e != NULL ? 0 : -1;
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: nft_fault CONFIG IFACE_INDEX\n");
        return 2;
    }
    struct bb_diag *diag = bb_diag_new();
    const struct bb_config *cfg = bb_config_load(argv[1], NULL, diag);
    if (cfg == NULL) {
        bb_diag_print(diag, stderr);
        return 2;
    }
    char path[64];
    snprintf(path, sizeof(path), "gateway.client_interfaces[%s]", argv[2]);
    struct bb_ruleset *rs = bb_ruleset_build(cfg, BB_NFT_QUEUE_COMPAT);
    if (rs == NULL || corrupt(rs, path) != 0) {
        fprintf(stderr, "nft_fault: no element %s to corrupt\n", path);
        return 2;
    }
    int enoent_queue = 0;
    int rc = bb_nft_send(rs, cfg, &enoent_queue, diag);
    bb_diag_print(diag, stderr);
    bb_ruleset_free(rs);
    bb_config_free(cfg);
    bb_diag_free(diag);
    return rc == 0 ? 0 : 1;
}
