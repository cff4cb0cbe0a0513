#!/bin/sh
# The smoke test of every fixture image: start its service.
exec /usr/local/bin/service
