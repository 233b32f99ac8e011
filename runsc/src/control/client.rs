//! The runsc side of the control socket.

use std::os::fd::{OwnedFd, RawFd};
use std::path::Path;

use anyhow::{Context, bail};

use super::wire;
use super::{Request, Response};

pub struct Client {
    sock: OwnedFd,
}

impl Client {
    pub fn connect(path: &Path) -> anyhow::Result<Client> {
        Ok(Client {
            sock: wire::connect_to(path)?,
        })
    }

    /// Sends `req` (with `fds`) and waits for the answer; a sandbox error
    /// becomes an error here.
    pub fn call(&self, req: &Request, fds: &[RawFd]) -> anyhow::Result<Response> {
        wire::send(&self.sock, req, fds)?;
        match wire::recv::<Response>(&self.sock)? {
            Some((Response::Error(e), _)) => bail!("{e}"),
            Some((r, _)) => Ok(r),
            None => Err(anyhow::anyhow!("the sandbox closed the control socket"))
                .context("the sandbox is gone"),
        }
    }

    /// `call` for requests that answer `Ok`.
    pub fn call_ok(&self, req: &Request) -> anyhow::Result<()> {
        match self.call(req, &[])? {
            Response::Ok => Ok(()),
            other => bail!("unexpected answer from the sandbox: {other:?}"),
        }
    }
}
