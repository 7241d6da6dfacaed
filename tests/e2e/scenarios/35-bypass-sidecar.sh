#!/usr/bin/env bash
# The bypass suite in the sidecar topology: the workload (uid 1000) and
# botbox share the pod's namespace. See ../bypass.sh.
. "$(dirname "$0")/../bypass.sh"

bypass_world sidecar
check "control: an allowed request arrives with its key" code_is 200 http://api.test/echo
bypass_attempts
# The pod's loopback is shared: the listeners are reachable, and they apply
# the same policy to whatever comes in directly.
attempt "explicit proxy request to botbox's listener (127.0.0.1:8080)" \
    "$(http_deny no_rule '"evil.test"' '"path":"/explicit"')" \
    raw_is 403 127.0.0.1 8080 'GET http://evil.test/explicit HTTP/1.1\r\nHost: evil.test\r\n\r\n'
attempt "botbox's TLS listener directly (127.0.0.1:8443)" \
    "$(http_deny port_not_443 null '"path":"/tlsdirect"')" \
    code_is 403 https://evil.test:8443/tlsdirect --resolve evil.test:8443:127.0.0.1
bypass_finish
