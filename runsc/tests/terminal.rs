//! A container's terminal, as runc gives it: `create --console-socket` sends
//! the terminal's master to the socket, and the container sees its terminal
//! as /dev/pts/0 (`tty`, /proc/self/fd, the window size set on the master),
//! the console too; ptys made inside get the next numbers, and `exec -t`'s
//! terminal another.

mod support;

use std::io::{IoSliceMut, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
use support::{Bundle, busybox_bundle, text};

/// Deletes the container when the test ends, passed or not.
struct Cleanup<'a>(&'a Bundle, &'a str);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let _ = self.0.rs(&["delete", "--force", self.1]);
    }
}

/// Accepts one connection on `listener` and takes the descriptor it sends
/// (SCM_RIGHTS), as a runtime's caller takes the console's master.
fn receive_master(listener: &UnixListener) -> OwnedFd {
    let (conn, _) = listener
        .accept()
        .expect("runsc connects to the console socket");
    let mut buf = [0u8; 256];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let msg = recvmsg::<()>(
        conn.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .expect("recvmsg");
    for cmsg in msg.cmsgs().expect("control messages") {
        if let ControlMessageOwned::ScmRights(fds) = cmsg {
            // SAFETY: the descriptor was just received and is ours alone.
            return unsafe { OwnedFd::from_raw_fd(fds[0]) };
        }
    }
    panic!("no descriptor came with the console message");
}

/// Sets the terminal's window size through its master (TIOCSWINSZ).
fn set_window_size(master: &OwnedFd, rows: u16, cols: u16) {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from the pointer, which lives.
    let r = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
    assert_eq!(r, 0, "TIOCSWINSZ: {}", std::io::Error::last_os_error());
}

/// What the terminal shows (its `\r\n` made `\n`) until `marker`, waiting
/// ten seconds at most.
fn read_until(master: &OwnedFd, marker: &str) -> String {
    let mut file = std::fs::File::from(master.try_clone().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // Ends at EIO, once the terminal's other side is closed everywhere.
        while let Ok(n @ 1..) = file.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    let shown = |seen: &[u8]| text(seen).replace("\r\n", "\n");
    while !shown(&seen).contains(marker) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => seen.extend(chunk),
            Err(_) => panic!(
                "no {marker:?} on the terminal; it showed {:?}",
                shown(&seen)
            ),
        }
    }
    shown(&seen)
}

fn socket_at(path: &Path) -> UnixListener {
    let _ = std::fs::remove_file(path);
    UnixListener::bind(path).unwrap()
}

#[test]
fn the_console_is_dev_pts_0_and_new_ptys_come_after() {
    let script = "busybox tty; busybox readlink /proc/self/fd/0; ls /dev/pts; busybox stty size; \
                  busybox cut -d' ' -f7 /proc/self/stat; \
                  [ \"$(busybox stat -c %d:%i:%t:%T /dev/console)\" = \"$(busybox stat -L -c %d:%i:%t:%T /proc/self/fd/0)\" ] && echo console-is-stdin; \
                  exec 3<>/dev/ptmx; ls /dev/pts; echo END; exec sleep 1000";
    let Some(b) = busybox_bundle("tty-console", &["sh", "-c", script]) else {
        return;
    };
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.dir.join("config.json")).unwrap()).unwrap();
    config["process"]["terminal"] = true.into();
    b.write_config(config);

    let id = "tty-console";
    let _cleanup = Cleanup(&b, id);
    let socket = b.dir.join("console.sock");
    let listener = socket_at(&socket);
    let create = {
        let mut cmd = b.runsc();
        cmd.args(["create", "--console-socket", socket.to_str().unwrap()])
            .args(["--bundle", b.dir.to_str().unwrap(), id])
            .stdin(std::process::Stdio::null());
        std::thread::spawn(move || cmd.output().expect("runsc runs"))
    };
    let master = receive_master(&listener);
    let created = create.join().unwrap();
    assert!(
        created.status.success(),
        "create: {}",
        text(&created.stderr)
    );
    set_window_size(&master, 33, 111);
    assert!(b.rs(&["start", id]).status.success());

    let shown = read_until(&master, "END\n");
    assert_eq!(
        shown,
        "/dev/pts/0\n/dev/pts/0\n0     ptmx\n33 111\n34816\nconsole-is-stdin\n0     1     ptmx\nEND\n",
        "136:0 is tty_nr 34816"
    );

    // exec -t: a terminal of its own, named next.
    let exec_socket = b.dir.join("exec.sock");
    let listener = socket_at(&exec_socket);
    let exec = {
        let mut cmd = b.runsc();
        cmd.args([
            "exec",
            "-t",
            "--console-socket",
            exec_socket.to_str().unwrap(),
        ])
        .args([id, "sh", "-c", "busybox tty; ls /dev/pts; echo END"])
        .stdin(std::process::Stdio::null());
        std::thread::spawn(move || cmd.output().expect("runsc runs"))
    };
    let exec_master = receive_master(&listener);
    let shown = read_until(&exec_master, "END\n");
    let out = exec.join().unwrap();
    assert!(out.status.success(), "exec: {}", text(&out.stderr));
    assert_eq!(shown, "/dev/pts/2\n0     1     2     ptmx\nEND\n");

    let deleted = b.rs(&["delete", "--force", id]);
    assert!(
        deleted.status.success(),
        "delete: {}",
        text(&deleted.stderr)
    );
}
