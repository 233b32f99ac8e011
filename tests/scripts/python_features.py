# What Python programs do with processes: subprocess (run, Popen, capture), fork
# and waitpid, signal handlers, setitimer, threading, select/selectors,
# multiprocessing with fork (pipes, process-shared semaphores).
import os, subprocess, signal, sys, threading, select, selectors, time
r = subprocess.run(["echo", "hi"], stdout=subprocess.PIPE)
print("run:", r.returncode, r.stdout)
p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
out, _ = p.communicate(b"through cat\n")
print("popen:", p.returncode, out)
r = subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 4"], capture_output=True)
print("capture:", r.returncode, r.stdout, r.stderr)
pid = os.fork()
if pid == 0:
    os._exit(7)
_, st = os.waitpid(pid, 0)
print("fork:", os.WEXITSTATUS(st))
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
print("signal:", got)
alarms = []
signal.signal(signal.SIGALRM, lambda s, f: alarms.append(s))
signal.setitimer(signal.ITIMER_REAL, 0.01, 0.01)
while len(alarms) < 3:
    time.sleep(0.005)
signal.setitimer(signal.ITIMER_REAL, 0)
print("setitimer:", len(alarms) >= 3)
res = []
def work(i):
    res.append(sum(range(i * 1000)))
ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print("threads:", sorted(res)[:2], len(res))
rd, wr = os.pipe()
sel = selectors.DefaultSelector()
sel.register(rd, selectors.EVENT_READ)
os.write(wr, b"x")
print("selectors:", len(sel.select(1)))
print("select:", select.select([rd], [], [], 0)[0] == [rd])
import multiprocessing
ctx = multiprocessing.get_context("fork")
with ctx.Pool(2) as pool:
    print("multiprocessing:", pool.map(abs, [-1, -2, 3]))
r = subprocess.run("exit 3", shell=True)
print("shell:", r.returncode)
