//! `runsc list [--format table|json] [--quiet]`: the containers under --root.

use anyhow::bail;

use crate::cli::GlobalFlags;
use crate::container::{ContainerDir, OciState, Record, list_ids};

pub fn run(global: &GlobalFlags, args: liboci_cli::List) -> anyhow::Result<i32> {
    // Records are replaced atomically, so reading them needs no lock.
    let states: Vec<OciState> = list_ids(&global.root)
        .iter()
        .filter_map(|id| ContainerDir::new(&global.root, id).ok())
        .filter_map(|dir| Record::load(&dir.record_path()).ok())
        .map(|r| r.oci_state())
        .collect();
    if args.quiet {
        for s in &states {
            println!("{}", s.id);
        }
        return Ok(0);
    }
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string(&states)?),
        "table" => print!("{}", table(&states)),
        other => bail!("invalid format option {other:?}: use table or json"),
    }
    Ok(0)
}

fn table(states: &[OciState]) -> String {
    let mut rows = vec![["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"].map(String::from)];
    for s in states {
        rows.push([
            s.id.clone(),
            s.pid.to_string(),
            s.status.to_string(),
            s.bundle.display().to_string(),
            s.created.clone(),
            s.owner.clone(),
        ]);
    }
    crate::table::render(&rows)
}
