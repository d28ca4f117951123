"""Drives a command in a pseudo-terminal, as a person at a keyboard would.

Usage: python3 pty-driver.py '<json script>' [--cols N] -- command args...
The script is a list of steps: {"expect": "<regex>"} waits until the screen text
(ANSI codes removed) matches after the previous match, and with "save": "NAME" keeps
the regex's first group as $NAME; {"send": "<text>"} types text ("\\r" is Enter,
"\\x1b[B" is arrow down, "\\x03" is Ctrl+C); {"shell": "<command>"} runs a bash
command (in the background; with "wait": true, finished before the next step) with the
saved values in its environment, as a person would in another terminal. The terminal is --cols columns wide (default 160).
Prints the whole transcript; exits 1 if an expectation times out.
"""
import fcntl, json, os, pty, re, select, signal, struct, subprocess, sys, termios, time

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\r")

def main():
    script = json.loads(sys.argv[1])
    command = sys.argv[sys.argv.index("--") + 1:]
    options = sys.argv[2:sys.argv.index("--")]
    cols = int(options[options.index("--cols") + 1]) if "--cols" in options else 160
    saved = {}
    shells = []
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    raw = b""
    seen = 0
    def pump(timeout):
        nonlocal raw
        ready, _, _ = select.select([fd], [], [], timeout)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            raw += chunk
        return True
    failed = None
    for step in script:
        if "shell" in step:
            shells.append(subprocess.Popen(["bash", "-c", step["shell"]], env={**os.environ, **saved},
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            # "wait": the command must have ended (the screen still read) before the next step.
            while step.get("wait") and shells[-1].poll() is None:
                pump(0.1)
            continue
        if "send" in step:
            time.sleep(0.15)
            os.write(fd, step["send"].encode())
            continue
        pattern = re.compile(step["expect"], re.S)
        deadline = time.time() + step.get("timeout", 20)
        while True:
            text = ANSI.sub("", raw.decode("utf-8", "replace"))
            match = pattern.search(text, seen)
            if match:
                seen = match.end()
                if "save" in step:
                    saved[step["save"]] = match.group(1)
                break
            if time.time() > deadline or not pump(0.2) and time.time() > deadline:
                failed = step["expect"]
                break
        if failed:
            break
    for shell in shells:
        shell.wait(timeout=30)
    end = time.time() + 5
    while time.time() < end and pump(0.2):
        pass
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(pid, 0)
    sys.stdout.write(ANSI.sub("", raw.decode("utf-8", "replace")))
    if os.WIFEXITED(status):
        sys.stdout.write(f"\n[pty-driver] exit {os.WEXITSTATUS(status)}\n")
    if failed:
        sys.stdout.write(f"\n[pty-driver] timed out waiting for: {failed}\n")
        sys.exit(1)
    sys.exit(0)

main()
