//! The command line, spelled as gVisor's `runsc` spells it.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Parser, Subcommand};

/// `runsc --version`: the version, the commit and the OCI runtime spec, as
/// runc prints them.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("RUNSC_COMMIT"),
    "\nspec: ",
    // oci_spec::runtime::VERSION, which concat! cannot take (a test holds them equal).
    "1.1.0"
);

#[derive(Parser, Debug)]
#[command(
    name = "runsc",
    version = VERSION,
    about = "An OCI runtime that runs containers on a user-space kernel"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalFlags,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Fills in the defaults that depend on the command: `do` keeps every
    /// change to the host's root in memory; a bundle's root takes them in
    /// place, where Docker sees them.
    pub fn settle(&mut self) {
        if self.global.overlay2.is_none() && matches!(self.command, Command::Do(_)) {
            self.global.overlay2 = Some("root:memory".into());
        }
    }
}

/// Flags every command accepts (before or after the command name).
#[derive(Args, Debug, Clone)]
pub struct GlobalFlags {
    /// Directory holding container state.
    #[arg(long, global = true, default_value = "/var/run/runsc")]
    pub root: PathBuf,
    /// Log at debug level.
    #[arg(long, global = true)]
    pub debug: bool,
    /// Where debug logs go: a file, or a directory (ending in '/') to create one in.
    #[arg(long = "debug-log", global = true, value_name = "PATH")]
    pub debug_log: Option<PathBuf>,
    /// Log file of the runtime itself (as runc's --log).
    #[arg(long, global = true, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Format of log lines.
    #[arg(long = "log-format", global = true, default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// How application code is run and trapped (only ptrace is available yet).
    #[arg(long, global = true, default_value = "ptrace", value_parser = ["ptrace", "kvm", "systrap"])]
    pub platform: String,
    /// Root filesystem overlay: `root:memory` keeps every change in memory over a
    /// read-only root (as gVisor's flag); with `none` a bundle's writable root
    /// is changed in place (as runc: Docker's commit, cp and diff see the
    /// changes) and `runsc do` sees the host's root read-only. Default: none
    /// for bundles, root:memory for `do`.
    #[arg(long = "overlay2", global = true, value_parser = ["root:memory", "none"])]
    pub overlay2: Option<String>,
    /// Networking of the sandbox (only none, loopback alone, is available yet).
    #[arg(long, global = true, default_value = "none", value_parser = ["none", "sandbox", "host"])]
    pub network: String,
    /// Name cgroups as systemd slices (`slice:prefix:name`), as runc's flag.
    #[arg(long = "systemd-cgroup", global = true)]
    pub systemd_cgroup: bool,
    /// Run the sandbox process as root of its own user namespace, host user
    /// `nobody` (when the host allows it; `--userns=false`: as host root).
    #[arg(long, global = true, default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_name = "BOOL")]
    pub userns: bool,
    /// Largest size in bytes of a log file (`--debug-log`, `--log`); past it
    /// a last line says the log was truncated. 0: no limit.
    #[arg(long = "log-limit", global = true, default_value_t = 64 << 20, value_name = "BYTES")]
    pub log_limit: u64,
    /// The log file, already open (runsc passes it to `boot`).
    #[arg(long = "log-fd", global = true, hide = true)]
    pub log_fd: Option<i32>,
}

impl GlobalFlags {
    /// Refuses platforms and network modes this build does not have.
    pub fn validate(&self) -> anyhow::Result<()> {
        match platform::PLATFORMS
            .iter()
            .find(|(name, _)| *name == self.platform)
        {
            Some((_, true)) => {}
            Some((name, false)) => {
                bail!("platform {name:?} is not available yet; use --platform=ptrace")
            }
            None => bail!(
                "unknown platform {:?}; known platforms: ptrace, kvm, systrap",
                self.platform
            ),
        }
        match self.network.as_str() {
            "none" => Ok(()),
            "sandbox" | "host" => bail!(
                "network {:?} is not available yet; use --network=none",
                self.network
            ),
            other => bail!("unknown network {other:?}; known: none, sandbox, host"),
        }
    }

    /// The root overlay in force: the flag, or the default `Cli::settle`
    /// picked for the command.
    pub fn overlay(&self) -> &str {
        self.overlay2.as_deref().unwrap_or("none")
    }

    /// The flags again, for the `runsc boot` child.
    pub fn to_args(&self) -> Vec<String> {
        let mut v = vec![
            format!("--root={}", self.root.display()),
            format!("--log-format={}", self.log_format),
            format!("--platform={}", self.platform),
            format!("--network={}", self.network),
            format!("--overlay2={}", self.overlay()),
            format!("--log-limit={}", self.log_limit),
        ];
        if self.systemd_cgroup {
            v.push("--systemd-cgroup".into());
        }
        if self.debug {
            v.push("--debug".into());
        }
        if let Some(p) = &self.debug_log {
            v.push(format!("--debug-log={}", p.display()));
        }
        if let Some(p) = &self.log {
            v.push(format!("--log={}", p.display()));
        }
        v
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a command in a sandbox on the host's root filesystem, without a bundle.
    Do(DoArgs),
    /// Create a container from an OCI bundle; `start` runs its process.
    Create(liboci_cli::Create),
    /// Run the process of a created container.
    Start(liboci_cli::Start),
    /// Print the OCI state of a container (JSON).
    State(liboci_cli::State),
    /// Send a signal to a container's process (or to all of them).
    Kill(KillArgs),
    /// Remove a container and everything it holds.
    Delete(liboci_cli::Delete),
    /// Create and start a container, and wait for it unless detached.
    Run(liboci_cli::Run),
    /// Run another process in a running container.
    Exec(liboci_cli::Exec),
    /// List a container's processes.
    Ps(liboci_cli::Ps),
    /// List the containers under --root.
    List(liboci_cli::List),
    /// Freeze every process of a container.
    Pause(liboci_cli::Pause),
    /// Thaw a paused container.
    Resume(liboci_cli::Resume),
    /// Change a container's resource limits.
    #[command(allow_negative_numbers = true)] // --pids-limit -1, --memory-swap -1
    Update(liboci_cli::Update),
    /// Print the container's resource use (from its cgroup) as JSON.
    Events(liboci_cli::Events),
    /// Wait for a container's process to exit and print its status (JSON).
    Wait(WaitArgs),
    /// Waits for a detached exec's process (started by runsc itself).
    #[command(hide = true)]
    ExecWait(ExecWaitArgs),
    /// The sandbox process (started by runsc itself).
    #[command(hide = true)]
    Boot(BootArgs),
    /// Print the syscall table: what the sandbox implements.
    Syscalls(SyscallsArgs),
    /// The file server of a container (started by runsc itself).
    #[command(hide = true)]
    Gofer(GoferArgs),
    /// Add runsc to Docker's daemon.json as a runtime (flags for it after `--`).
    Install(crate::commands::install::InstallArgs),
    /// Remove a runtime from Docker's daemon.json.
    Uninstall(crate::commands::install::UninstallArgs),
    /// Write a starting config.json for a bundle.
    Spec(liboci_cli::Spec),
    /// Print the OCI features this runtime supports (JSON).
    Features(liboci_cli::Features),
    /// Print the sandbox process's seccomp allowlist.
    #[command(hide = true)]
    Seccomp(SeccompArgs),
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Do(_) => "do",
            Command::Create(_) => "create",
            Command::Start(_) => "start",
            Command::State(_) => "state",
            Command::Kill(_) => "kill",
            Command::Delete(_) => "delete",
            Command::Run(_) => "run",
            Command::Exec(_) => "exec",
            Command::Ps(_) => "ps",
            Command::List(_) => "list",
            Command::Pause(_) => "pause",
            Command::Resume(_) => "resume",
            Command::Update(_) => "update",
            Command::Wait(_) => "wait",
            Command::Events(_) => "events",
            Command::ExecWait(_) => "exec-wait",
            Command::Boot(_) => "boot",
            Command::Syscalls(_) => "syscalls",
            Command::Gofer(_) => "gofer",
            Command::Install(_) => "install",
            Command::Uninstall(_) => "uninstall",
            Command::Spec(_) => "spec",
            Command::Features(_) => "features",
            Command::Seccomp(_) => "seccomp",
        }
    }
}

/// `kill ID [SIGNAL]`: runc's spelling, where the signal defaults to SIGTERM.
#[derive(Args, Debug)]
pub struct KillArgs {
    /// Send the signal to every process of the container.
    #[arg(short, long)]
    pub all: bool,
    /// The container.
    pub container_id: String,
    /// A signal name (`TERM`, `SIGTERM`) or number.
    #[arg(default_value = "SIGTERM")]
    pub signal: String,
}

#[derive(Args, Debug)]
pub struct ExecWaitArgs {
    /// The process's pid inside the sandbox.
    #[arg(long)]
    pub pid: i32,
    /// The container.
    pub container_id: String,
}

#[derive(Args, Debug)]
pub struct WaitArgs {
    /// The container.
    pub container_id: String,
}

#[derive(Args, Debug)]
pub struct DoArgs {
    /// The command and its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<String>,
}

#[derive(Args, Debug)]
pub struct BootArgs {
    /// Descriptor to read the boot specification (JSON) from.
    #[arg(long = "spec-fd")]
    pub spec_fd: i32,
    /// Sockets to the gofers: the root's first, then one per bind mount in order.
    #[arg(long = "gofer-fd", required = true)]
    pub gofer_fd: Vec<i32>,
    /// A listening socket for `start`, `kill`, `exec`...: with it the sandbox
    /// waits for `start` before running the container's process.
    #[arg(long = "control-fd")]
    pub control_fd: Option<i32>,
    /// A pipe to report on once the container's process is loaded ("ok", or
    /// the error) before it runs.
    #[arg(long = "ready-fd")]
    pub ready_fd: Option<i32>,
    /// A file to record the container process's exit status in.
    #[arg(long = "status-fd")]
    pub status_fd: Option<i32>,
    /// stdin is a terminal made for this container (a console socket's):
    /// the sandbox makes it its controlling terminal, to get its signals.
    #[arg(long = "console-ctty")]
    pub console_ctty: bool,
}

#[derive(Args, Debug)]
pub struct GoferArgs {
    /// The directory to serve, or a regular file (served alone).
    #[arg(long)]
    pub root: PathBuf,
    /// Refuse every change (EROFS).
    #[arg(long)]
    pub readonly: bool,
    /// The socket to serve on.
    #[arg(long = "socket-fd")]
    pub socket_fd: i32,
}

#[derive(Args, Debug)]
pub struct SeccompArgs {
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

#[derive(Args, Debug)]
pub struct SyscallsArgs {
    #[arg(long, default_value = "table", value_parser = ["table", "json", "markdown"])]
    pub format: String,
}

#[cfg(test)]
mod version_tests {
    #[test]
    fn the_version_names_the_spec_features_reports() {
        let spec_line = super::VERSION.lines().last().unwrap();
        assert_eq!(spec_line, format!("spec: {}", oci_spec::runtime::VERSION));
        assert!(
            super::VERSION
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("commit: ")
        );
    }
}
