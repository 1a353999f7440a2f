#!/usr/bin/env python3
"""fake-pinentry.py LOG — a pinentry for tests: speaks the pinentry Assuan
protocol on stdin/stdout and writes what it was asked to LOG, one line
each ("SETDESC <decoded text>", "CONFIRM <args>", "GETPIN", "END <why>").

gpg-agent shows a pin-pad message (INQUIRE POPUPPINPADPROMPT from the
scdaemon) with SETDESC then CONFIRM --one-button, run in a thread of its
own, and closes it with SIGINT (DISMISSPINPADPROMPT): so a one-button
CONFIRM waits, like a window nobody clicks, until the signal or EOF.
Everything else is answered OK; GETPIN answers 123456."""
import os
import signal
import sys
from urllib.parse import unquote

log = open(sys.argv[1], "a", buffering=1)


def end(why):
    log.write("END %s\n" % why)
    log.close()
    os._exit(0)


signal.signal(signal.SIGINT, lambda *_: end("SIGINT"))
signal.signal(signal.SIGTERM, lambda *_: end("SIGTERM"))


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


say("OK Pleased to meet you (fake pinentry)")
for raw in sys.stdin:
    cmd, _, arg = raw.rstrip("\r\n").partition(" ")
    cmd = cmd.upper()
    if cmd == "BYE":
        say("OK closing connection")
        end("BYE")
    if cmd == "SETDESC":
        log.write("SETDESC %s\n" % unquote(arg).replace("\n", "|"))
    elif cmd == "CONFIRM":
        log.write("CONFIRM %s\n" % arg)
        if "--one-button" in arg:
            # A message window: stays until gpg-agent closes it.
            signal.pause()
    elif cmd == "GETPIN":
        log.write("GETPIN\n")
        say("D 123456")
    elif cmd == "GETINFO" and arg == "pid":
        say("D %d" % os.getpid())
    say("OK")
end("EOF")
