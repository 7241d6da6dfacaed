#!/usr/bin/env bash
# The bypass suite in the gateway topology: the client namespace routes
# through "gw", where botbox judges its traffic. See ../bypass.sh.
. "$(dirname "$0")/../bypass.sh"

bypass_world gateway
check "control: an allowed request arrives with its key" code_is 200 http://api.test/echo
bypass_attempts
# The gateway's own ports, straight from the client: dropped before any
# socket sees them (guard_input).
GW4=10.201.2.1
GW6=fd00:201:2::1
attempt "the gateway's HTTP listener port directly" "$(flow $GW4:8080 tcp)" \
    refused client $PROBE connect $GW4 8080 --timeout 1
attempt "the gateway's TLS listener port directly" "$(flow $GW4:8443 tcp)" \
    refused client $PROBE connect $GW4 8443 --timeout 1
attempt "the gateway's metrics port, IPv4" "$(flow $GW4:9090 tcp)" \
    refused client $PROBE connect $GW4 9090 --timeout 1
attempt "the gateway's metrics port, IPv6" "$(flow "[$GW6]:9090" tcp)" \
    refused client $PROBE connect $GW6 9090 --timeout 1
attempt "the gateway's DNS forwarder port directly" "$(flow $GW4:5353 udp)" \
    refused client $PROBE udp $GW4 5353 --timeout 1
bypass_finish
