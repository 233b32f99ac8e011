//! A container's record under `--root`: one directory per container holding
//! its state file, the sandbox's control socket and its exit status, guarded
//! by a lock on the directory itself.

mod host_process;
mod record;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

pub use host_process::HostProcess;
pub use record::{OciState, Record, Status};

/// The directory of container `id` under `root`.
pub struct ContainerDir {
    pub id: String,
    pub path: PathBuf,
}

/// An exclusive lock on a container's directory: commands on one container
/// are serialized. Dropping it unlocks.
pub struct Locked {
    pub dir: ContainerDir,
    _lock: nix::fcntl::Flock<File>,
}

/// The line of the exit-status file that counts OOM kills.
const OOM_KILLS: &str = "oom-kills ";

/// What the sandbox writes to the exit-status file when it ends: the exit
/// status on the first line, then the processes it killed for want of memory.
pub fn exit_record(code: i32, oom_kills: u64) -> String {
    format!("{code}\n{OOM_KILLS}{oom_kills}\n")
}

impl ContainerDir {
    pub fn new(root: &Path, id: &str) -> anyhow::Result<ContainerDir> {
        crate::bundle::check_id(id)?;
        Ok(ContainerDir {
            id: id.to_string(),
            path: root.join(id),
        })
    }

    pub fn record_path(&self) -> PathBuf {
        self.path.join("state.json")
    }

    /// Where the sandbox listens for commands.
    pub fn socket_path(&self) -> PathBuf {
        self.path.join("sandbox.sock")
    }

    /// Where the sandbox writes its container process's exit status.
    pub fn exit_status_path(&self) -> PathBuf {
        self.path.join("exit-status")
    }

    /// Makes the directory of a new container and locks it; an existing one
    /// is runc's "container with id exists" error.
    pub fn create(root: &Path, id: &str) -> anyhow::Result<Locked> {
        let dir = ContainerDir::new(root, id)?;
        std::fs::create_dir_all(root)
            .with_context(|| format!("creating the state root {}", root.display()))?;
        // Only root reaches the state (it holds the control socket).
        use std::os::unix::fs::DirBuilderExt;
        match std::fs::DirBuilder::new().mode(0o711).create(&dir.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                bail!("container with id exists: {id}")
            }
            Err(e) => return Err(e).with_context(|| format!("creating {}", dir.path.display())),
        }
        dir.lock()
    }

    /// Locks an existing container; a missing one is runc's "container does
    /// not exist" error.
    pub fn open(root: &Path, id: &str) -> anyhow::Result<Locked> {
        ContainerDir::new(root, id)?.lock()
    }

    fn lock(self) -> anyhow::Result<Locked> {
        let missing = || anyhow::anyhow!("container {} does not exist", self.id);
        let file = File::open(&self.path).map_err(|_| missing())?;
        let lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, e)| e)
            .context("locking the container state")?;
        // A `delete` that held the lock before us may have removed it.
        if !self.path.exists() {
            return Err(missing());
        }
        Ok(Locked {
            dir: self,
            _lock: lock,
        })
    }
}

impl Locked {
    pub fn load(&self) -> anyhow::Result<Record> {
        Record::load(&self.dir.record_path())
            .with_context(|| format!("reading the state of container {}", self.dir.id))
    }

    pub fn save(&self, record: &Record) -> anyhow::Result<()> {
        record.save(&self.dir.record_path())
    }

    /// The exit status the sandbox recorded, if its process exited.
    pub fn exit_status(&self) -> Option<i32> {
        let record = std::fs::read_to_string(self.dir.exit_status_path()).ok()?;
        record.lines().next()?.trim().parse().ok()
    }

    /// The processes the sandbox killed for want of memory, as it recorded
    /// them when it ended.
    pub fn recorded_oom_kills(&self) -> Option<u64> {
        let record = std::fs::read_to_string(self.dir.exit_status_path()).ok()?;
        record
            .lines()
            .find_map(|l| l.strip_prefix(OOM_KILLS)?.trim().parse().ok())
    }

    /// Removes everything the container had under the root.
    pub fn remove(self) -> anyhow::Result<()> {
        std::fs::remove_dir_all(&self.dir.path)
            .with_context(|| format!("removing {}", self.dir.path.display()))
    }
}

/// Ids of every container under `root` (in name order).
pub fn list_ids(root: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("state.json").exists())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    ids.sort();
    ids
}
