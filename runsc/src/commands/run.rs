//! `runsc run --bundle DIR ID`: run a container from an OCI bundle and wait for it.
//! (Container state and the create/start split come with the full lifecycle.)

use crate::cli::{GlobalFlags, RunArgs};

pub fn run(global: &GlobalFlags, args: RunArgs) -> anyhow::Result<i32> {
    crate::bundle::check_id(&args.id)?;
    let spec = crate::bundle::load(&args.bundle)?;
    tracing::info!(id = %args.id, root = %spec.root.display(), "running container");
    crate::sandbox::run(global, &spec)
}
