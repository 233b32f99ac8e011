//! containerd and dockerd started by hand (there is no systemd here), each
//! with its own sockets and state under one scratch directory, and stopped
//! with everything they left behind.

use std::ffi::OsString;
use std::fs::{self, File};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Map, Value, json};

use super::command::{self, Run, shell_quote};
use crate::Skip;

/// How long the client may take for one command unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Daemon {
    dir: PathBuf,
    docker: PathBuf,
    /// overlay2, or vfs where overlay2 does not work.
    pub storage_driver: String,
    containerd: Mutex<Option<Child>>,
    dockerd: Mutex<Option<Child>>,
    stopped: AtomicBool,
    /// Print each docker command and its result (the tests do; a benchmark not).
    echo: AtomicBool,
}

impl Daemon {
    /// Starts containerd and dockerd in `dir` (made if missing; the caller
    /// may have put its runtimes there; short enough for socket paths). The
    /// directory is removed by [`Daemon::stop`]. `config` is daemon.json as the caller wants
    /// it (its runtimes, say); the keys that keep the daemon private and off
    /// the host's network are set over it. A host where the daemons cannot
    /// run at all is a [`Skip`].
    pub fn start(dir: &Path, config: Map<String, Value>) -> Result<Daemon, Skip> {
        let containerd = find_program("containerd")?;
        let dockerd = find_program("dockerd")?;
        // Docker's own client (docker.io) before any other on PATH.
        let docker = Some(PathBuf::from("/usr/bin/docker"))
            .filter(|p| p.is_file())
            .map_or_else(|| find_program("docker"), Ok)?;
        fs::create_dir_all(dir).map_err(|e| Skip(format!("mkdir {}: {e}", dir.display())))?;
        let mut daemon = Daemon {
            dir: dir.to_path_buf(),
            docker,
            storage_driver: String::new(),
            containerd: Mutex::new(None),
            dockerd: Mutex::new(None),
            stopped: AtomicBool::new(false),
            echo: AtomicBool::new(true),
        };
        let child = daemon.start_containerd(&containerd)?;
        *daemon.containerd.lock().unwrap() = Some(child);
        let mut why_not_overlay2 = String::new();
        for driver in ["overlay2", "vfs"] {
            match daemon.start_dockerd(&dockerd, &config, driver) {
                Ok(child) => {
                    if driver != "overlay2" {
                        crate::skip::report(&format!(
                            "storage driver overlay2 does not work here, using {driver}: \
                             {why_not_overlay2}"
                        ));
                    }
                    *daemon.dockerd.lock().unwrap() = Some(child);
                    daemon.storage_driver = driver.to_string();
                    return Ok(daemon);
                }
                Err(e) => why_not_overlay2 = e.0,
            }
        }
        daemon.stop();
        Err(Skip(format!("dockerd does not start: {why_not_overlay2}")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("docker.sock")
    }

    /// `program` with the environment that points a docker client at us.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("DOCKER_HOST", format!("unix://{}", self.socket().display()))
            .env("DOCKER_CONFIG", self.dir.join("client"));
        cmd
    }

    /// Whether [`Daemon::docker`] and its kin print each command and result.
    pub fn echo_commands(&self, on: bool) {
        self.echo.store(on, Ordering::Relaxed);
    }

    fn echo(&self) -> bool {
        self.echo.load(Ordering::Relaxed)
    }

    /// The docker client, pointed at us.
    pub fn docker_command(&self) -> Command {
        self.command(&self.docker)
    }

    /// `docker ARGS`, printed with its result.
    pub fn docker<S: AsRef<str>>(&self, args: &[S]) -> Run {
        self.docker_with(args, None, DEFAULT_TIMEOUT)
    }

    /// `docker ARGS` with `input` on its stdin and a deadline.
    pub fn docker_with<S: AsRef<str>>(
        &self,
        args: &[S],
        input: Option<&[u8]>,
        timeout: Duration,
    ) -> Run {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let mut cmd = self.command(&self.docker);
        cmd.args(&args);
        let args = &args[..];
        command::run(cmd, docker_line(args), input, timeout, self.echo())
    }

    /// `docker ARGS` run by `script`, so the client has a terminal.
    pub fn docker_in_terminal<S: AsRef<str>>(&self, args: &[S]) -> Run {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let args = &args[..];
        let line = std::iter::once(self.docker.to_string_lossy().into_owned())
            .chain(args.iter().map(|a| a.to_string()))
            .map(|a| shell_quote(&a))
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = self.command(Path::new("script"));
        cmd.args(["-qec", &line, "/dev/null"]);
        command::run(
            cmd,
            format!("script -qec {}", shell_quote(&docker_line(args))),
            None,
            DEFAULT_TIMEOUT,
            self.echo(),
        )
    }

    /// Removes every container, stops dockerd then containerd, ends what
    /// they left running, unmounts and removes the directory. Runs once;
    /// problems are printed, not raised, so that the rest still happens.
    pub fn stop(&self) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        if self.dockerd.lock().unwrap().is_some() {
            let ids = self.docker_with(&["ps", "-aq"], None, Duration::from_secs(10));
            let ids: Vec<&str> = ids.stdout.split_whitespace().collect();
            if !ids.is_empty() {
                let mut args = vec!["rm", "-f"];
                args.extend(ids);
                self.docker_with(&args, None, Duration::from_secs(30));
            }
        }
        for (name, child) in [("dockerd", &self.dockerd), ("containerd", &self.containerd)] {
            if let Some(child) = child.lock().unwrap().take() {
                terminate(name, child, Duration::from_secs(20));
            }
        }
        kill_processes_naming(&self.dir);
        unmount_under(&self.dir);
        if let Err(e) = fs::remove_dir_all(&self.dir) {
            eprintln!("docker harness: removing {}: {e}", self.dir.display());
        }
    }

    fn start_containerd(&self, program: &Path) -> Result<Child, Skip> {
        let d = &self.dir;
        let config = format!(
            "version = 2\n\
             root = \"{root}\"\n\
             state = \"{state}\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = \"{sock}\"\n\
             [ttrpc]\n  address = \"{sock}.ttrpc\"\n\
             [debug]\n  address = \"{debug}\"\n\
             [metrics]\n  address = \"\"\n",
            root = d.join("containerd/root").display(),
            state = d.join("containerd/state").display(),
            sock = self.containerd_socket().display(),
            debug = d.join("containerd-debug.sock").display(),
        );
        let config_path = d.join("containerd.toml");
        fs::write(&config_path, config).map_err(|e| Skip(format!("containerd.toml: {e}")))?;
        let mut cmd = Command::new(program);
        cmd.arg("--config").arg(&config_path);
        let mut child = self.spawn_logged(cmd, "containerd")?;
        let socket = self.containerd_socket();
        wait_until(&mut child, "containerd", Duration::from_secs(20), || {
            socket.exists()
        })
        .map_err(|e| Skip(format!("{e}\n{}", self.log_tail("containerd"))))?;
        Ok(child)
    }

    fn start_dockerd(
        &self,
        program: &Path,
        config: &Map<String, Value>,
        driver: &str,
    ) -> Result<Child, Skip> {
        let d = &self.dir;
        let _ = fs::remove_dir_all(d.join("data"));
        let mut config = config.clone();
        for (key, value) in [
            // No bridge, no NAT rules, no forwarding: the host's network is left alone.
            ("iptables", json!(false)),
            ("ip-forward", json!(false)),
            ("ip-masq", json!(false)),
            ("bridge", json!("none")),
            ("storage-driver", json!(driver)),
            ("shutdown-timeout", json!(5)),
            // Else dockerd writes /etc/docker/key.json.
            ("deprecated-key-path", json!(d.join("key.json"))),
        ] {
            config.insert(key.to_string(), value);
        }
        let config_path = d.join("daemon.json");
        fs::write(
            &config_path,
            serde_json::to_string_pretty(&config).expect("JSON"),
        )
        .map_err(|e| Skip(format!("daemon.json: {e}")))?;
        let mut cmd = Command::new(program);
        cmd.arg("--config-file")
            .arg(&config_path)
            .arg("--data-root")
            .arg(d.join("data"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("docker.pid"))
            .arg("--containerd")
            .arg(self.containerd_socket())
            .arg("-H")
            .arg(format!("unix://{}", self.socket().display()));
        let mut child = self.spawn_logged(cmd, "dockerd")?;
        let ready = wait_until(&mut child, "dockerd", Duration::from_secs(30), || {
            self.socket().exists()
                && self
                    .command(&self.docker)
                    .args(["version", "--format", "{{.Server.Version}}"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
        });
        if let Err(e) = ready {
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
            let _ = child.wait();
            return Err(Skip(format!(
                "{e} with storage driver {driver}\n{}",
                self.log_tail("dockerd")
            )));
        }
        Ok(child)
    }

    fn containerd_socket(&self) -> PathBuf {
        self.dir.join("containerd.sock")
    }

    fn spawn_logged(&self, mut cmd: Command, name: &str) -> Result<Child, Skip> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("{name}.log")))
            .map_err(|e| Skip(format!("{name}.log: {e}")))?;
        let log2 = log.try_clone().map_err(|e| Skip(e.to_string()))?;
        cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
        cmd.spawn()
            .map_err(|e| Skip(format!("cannot start {name}: {e}")))
    }

    /// The last lines of a daemon's log, for messages.
    pub fn log_tail(&self, name: &str) -> String {
        let text = fs::read_to_string(self.dir.join(format!("{name}.log"))).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        format!("last lines of {name}.log:\n{tail}")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

fn docker_line(args: &[&str]) -> String {
    std::iter::once("docker")
        .chain(args.iter().copied())
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `name` on PATH, or in the sbin directories a non-login root PATH may lack.
fn find_program(name: &str) -> Result<PathBuf, Skip> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"])
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Skip(format!(
                "{name} is not installed (.ci/run installs docker.io and containerd)"
            ))
        })
}

/// Polls `ready` until it holds; fails if the process exits or time runs out.
fn wait_until(
    child: &mut Child,
    name: &str,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<(), Skip> {
    let start = Instant::now();
    loop {
        if ready() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(Skip(format!("{name} exited at start ({status})")));
        }
        if start.elapsed() > timeout {
            return Err(Skip(format!(
                "{name} not ready after {}s",
                timeout.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM, then SIGKILL if it is still there after `grace`.
fn terminate(name: &str, mut child: Child, grace: Duration) {
    let pid = Pid::from_raw(child.id() as i32);
    let _ = kill(pid, Signal::SIGTERM);
    let start = Instant::now();
    while start.elapsed() < grace {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "docker harness: {name} still running {}s after SIGTERM; killing it",
        grace.as_secs()
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// Kills, by pid, every process whose command line names `dir`: the shims
/// (started with our containerd's socket) and runtime processes (given our
/// state directory), which outlive the daemons if something went wrong.
fn kill_processes_naming(dir: &Path) {
    let needle = dir.to_string_lossy().into_owned();
    let me = std::process::id();
    for _ in 0..3 {
        let mut found = false;
        for pid in crate::procs::pids() {
            if pid == me {
                continue;
            }
            let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(&needle) {
                eprintln!("docker harness: killing leftover {pid}: {cmdline}");
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
                found = true;
            }
        }
        if !found {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Detaches every mount at or below `dir`, deepest (latest) first.
fn unmount_under(dir: &Path) {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut points: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(unescape_mountinfo)
        .filter(|p| p.starts_with(dir))
        .collect();
    points.reverse();
    for p in points {
        if let Err(e) = nix::mount::umount2(&p, nix::mount::MntFlags::MNT_DETACH) {
            eprintln!("docker harness: unmounting {}: {e}", p.display());
        }
    }
}

/// mountinfo writes space, tab, newline and backslash as octal escapes.
fn unescape_mountinfo(s: &str) -> PathBuf {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    PathBuf::from(OsString::from_vec(out))
}
