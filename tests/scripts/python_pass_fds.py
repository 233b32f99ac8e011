# subprocess's descriptor closing in the child: CPython's _posixsubprocess
# tries close_range over the gaps between pass_fds and, where a range is
# empty (close_range(3, 2) is EINVAL), lists /proc/self/fd with small
# getdents64 calls, closing each descriptor as it goes. Every listed
# descriptor must be closed, none skipped.
import os
import subprocess
import sys

# Descriptors 3 to 12, all inheritable (whatever the runner left is closed first).
os.closerange(3, 256)
for want in range(3, 13):
    fd = os.open("/dev/null", os.O_RDONLY)
    assert fd == want, (fd, want)
    os.set_inheritable(fd, True)

LIST = "import os; print(sorted(int(f) for f in os.listdir('/proc/self/fd')))"


def child_fds(**kw):
    out = subprocess.run([sys.executable, "-c", LIST], capture_output=True, text=True, **kw)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


print("pass_fds=(3,):", child_fds(pass_fds=(3,)))
print("pass_fds=(3, 4):", child_fds(pass_fds=(3, 4)))
print("pass_fds=(5, 9):", child_fds(pass_fds=(5, 9)))
print("pass_fds=(12,):", child_fds(pass_fds=(12,)))
print("close_fds:", child_fds())
print("close_fds=False:", child_fds(close_fds=False))
