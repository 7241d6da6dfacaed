/*
 * The local CA (see ca.h), with OpenSSL 3.
 */
#include "tls/ca.h"

#include "common/diag.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SERIAL_BYTES 16

struct bb_ca {
    X509 *cert;
    EVP_PKEY *key;
};

static const char *ssl_error(void)
{
    unsigned long e = ERR_get_error();
    return e ? ERR_reason_error_string(e) : "unknown error";
}

/* A random positive serial of SERIAL_BYTES bytes. */
static int set_serial(X509 *x)
{
    unsigned char b[SERIAL_BYTES];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return -1;
    b[0] &= 0x7f; /* positive */
    b[0] |= 0x40; /* and always 16 bytes long */
    BIGNUM *bn = BN_bin2bn(b, sizeof(b), NULL);
    int ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* A certificate for key named cn, valid [now - back, now + ttl], not yet
 * signed. */
static X509 *new_cert(EVP_PKEY *key, const char *cn, long back, long ttl)
{
    X509 *x = X509_new();
    X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
    if (x == NULL || X509_set_version(x, 2) != 1 || set_serial(x) != 0 ||
        X509_gmtime_adj(X509_getm_notBefore(x), -back) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), ttl) == NULL || X509_set_pubkey(x, key) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                   0) != 1) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* ---- botbox ca init ---- */

static int write_pem(const char *path, mode_t mode, X509 *cert, EVP_PKEY *key)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    /* the mode exactly, whatever the umask */
    FILE *f = fd >= 0 && fchmod(fd, mode) == 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int ok =
        cert ? PEM_write_X509(f, cert) : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    return (fclose(f) == 0 && ok == 1) ? 0 : -1;
}

int bb_ca_init(const char *dir, struct bb_diag *diag)
{
    char crt[PATH_MAX], keyp[PATH_MAX];
    snprintf(crt, sizeof(crt), "%s/ca.crt", dir);
    snprintf(keyp, sizeof(keyp), "%s/ca.key", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        bb_diag_add(diag, BB_DIAG_ERROR, "%s: %s", dir, strerror(errno));
        return -1;
    }
    if (access(crt, F_OK) == 0 || access(keyp, F_OK) == 0) {
        bb_diag_add(diag, BB_DIAG_ERROR, "%s: a CA is already there; not overwritten", dir);
        return -1;
    }
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = key ? new_cert(key, "botbox local CA", 0, 86400L * BB_CA_VALID_DAYS) : NULL;
    int rc = -1;
    if (x != NULL && X509_set_issuer_name(x, X509_get_subject_name(x)) == 1 &&
        add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") == 0 &&
        add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") == 0 &&
        add_ext(x, x, NID_subject_key_identifier, "hash") == 0 &&
        X509_sign(x, key, EVP_sha256()) > 0) {
        /* The key first: a certificate without its key would be useless. */
        if (write_pem(keyp, 0600, NULL, key) != 0 || write_pem(crt, 0644, x, NULL) != 0) {
            bb_diag_add(diag, BB_DIAG_ERROR, "%s: writing the CA: %s", dir, strerror(errno));
            unlink(keyp);
        } else {
            rc = 0;
        }
    } else {
        bb_diag_add(diag, BB_DIAG_ERROR, "creating the CA: %s", ssl_error());
    }
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

/* ---- loading ---- */

struct bb_ca *bb_ca_load(const char *cert_path, const char *key_path, struct bb_diag *diag)
{
    struct bb_ca *ca = calloc(1, sizeof(*ca));
    FILE *cf = fopen(cert_path, "re"), *kf = fopen(key_path, "re");
    if (ca == NULL)
        goto fail;
    if (cf == NULL || kf == NULL) {
        bb_diag_add(diag, BB_DIAG_ERROR, "https_interception: %s: %s",
                    cf == NULL ? cert_path : key_path, strerror(errno));
        goto fail;
    }
    ca->cert = PEM_read_X509(cf, NULL, NULL, NULL);
    ca->key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
    if (ca->cert == NULL || ca->key == NULL) {
        bb_diag_add(diag, BB_DIAG_ERROR, "https_interception: %s: not a PEM %s",
                    ca->cert == NULL ? cert_path : key_path,
                    ca->cert == NULL ? "certificate" : "private key");
        goto fail;
    }
    if (X509_check_private_key(ca->cert, ca->key) != 1) {
        bb_diag_add(diag, BB_DIAG_ERROR, "https_interception: %s does not belong to %s", key_path,
                    cert_path);
        goto fail;
    }
    if (X509_check_ca(ca->cert) < 1) {
        bb_diag_add(diag, BB_DIAG_ERROR, "https_interception: %s is not a CA certificate",
                    cert_path);
        goto fail;
    }
    fclose(cf);
    fclose(kf);
    return ca;
fail:
    if (cf != NULL)
        fclose(cf);
    if (kf != NULL)
        fclose(kf);
    bb_ca_free(ca);
    ERR_clear_error();
    return NULL;
}

void bb_ca_free(struct bb_ca *ca)
{
    if (ca == NULL)
        return;
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    free(ca);
}

X509 *bb_ca_cert(const struct bb_ca *ca)
{
    return ca->cert;
}

/* ---- leaves ---- */

int bb_ca_mint(const struct bb_ca *ca, const char *name, uint32_t ttl_seconds, X509 **cert,
               EVP_PKEY **key)
{
    char san[300];
    snprintf(san, sizeof(san), "DNS:%s", name);
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = k ? new_cert(k, name, BB_LEAF_BACKDATE, (long)ttl_seconds) : NULL;
    if (x == NULL || X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1 ||
        add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
        add_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature") != 0 ||
        add_ext(x, ca->cert, NID_ext_key_usage, "serverAuth") != 0 ||
        add_ext(x, ca->cert, NID_subject_alt_name, san) != 0 ||
        add_ext(x, ca->cert, NID_authority_key_identifier, "keyid") != 0 ||
        X509_sign(x, ca->key, EVP_sha256()) <= 0) {
        X509_free(x);
        EVP_PKEY_free(k);
        ERR_clear_error();
        return -1;
    }
    *cert = x;
    *key = k;
    return 0;
}
