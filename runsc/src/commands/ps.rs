//! `runsc ps [--format table|json] ID`: the processes of a container, with
//! the pids the sandbox gives them.

use anyhow::bail;

use crate::cli::GlobalFlags;
use crate::container::{ContainerDir, Status};
use crate::control::client::Client;
use crate::control::{Request, Response};

pub fn run(global: &GlobalFlags, args: liboci_cli::Ps) -> anyhow::Result<i32> {
    let locked = ContainerDir::open(&global.root, &args.container_id)?;
    let record = locked.load()?;
    if matches!(record.current_status(), Status::Stopped | Status::Creating) {
        bail!("container not running");
    }
    let client = Client::connect(&locked.dir.socket_path())?;
    drop(locked);
    let Response::Processes(list) = client.call(&Request::Ps, &[])? else {
        bail!("unexpected answer from the sandbox");
    };
    match args.format.as_str() {
        // As runc: the pids alone.
        "json" => {
            let pids: Vec<i32> = list.iter().map(|p| p.pid).collect();
            println!("{}", serde_json::to_string(&pids)?);
        }
        "table" => {
            let mut rows = vec![["UID", "PID", "PPID", "STIME", "CMD"].map(String::from)];
            for p in &list {
                rows.push([
                    p.uid.to_string(),
                    p.pid.to_string(),
                    p.ppid.to_string(),
                    format!("{:.0}s", p.started),
                    p.cmd.clone(),
                ]);
            }
            print!("{}", crate::table::render(&rows));
        }
        other => bail!("invalid format option {other:?}: use table or json"),
    }
    Ok(0)
}
