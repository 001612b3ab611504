//! Training checkpoints: a small binary file written atomically (temporary file, then rename).
//!
//! Layout, all integers `u64` and all reals `f64` little-endian (reals by their bits, so a resumed run continues
//! bit for bit):
//!
//! ```text
//! "LSCKPT01" | fingerprint length, fingerprint (UTF-8) | step | diverged step + 1 (0 = none)
//! | P, params[P] | S, optimizer state[S] | T, losses[T]
//! ```
//!
//! The fingerprint is the training configuration and model description; resuming under another one is refused.

use std::io::Write;
use std::path::Path;

use crate::error::EmpiricalError;

const MAGIC: &[u8; 8] = b"LSCKPT01";

/// Everything a training run needs to continue where it stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// The configuration and model the run was started with.
    pub fingerprint: String,
    /// Steps completed.
    pub step: usize,
    /// The step at which the loss became non-finite, if it did.
    pub diverged_at: Option<usize>,
    /// The parameters after `step` steps.
    pub params: Vec<f64>,
    /// The optimizer's state (velocity, or Adam's two moments concatenated); empty for plain gradient descent.
    pub optimizer_state: Vec<f64>,
    /// The (minibatch) loss of every completed step.
    pub losses: Vec<f64>,
}

impl Checkpoint {
    /// Writes the checkpoint to `path` atomically: to `path.tmp`, flushed and synced, then renamed over `path`.
    ///
    /// # Errors
    /// [`EmpiricalError::Io`] if the file cannot be written or renamed.
    pub fn save(&self, path: &Path) -> Result<(), EmpiricalError> {
        let mut bytes = Vec::with_capacity(
            64 + self.fingerprint.len()
                + 8 * (self.params.len() + self.optimizer_state.len() + self.losses.len()),
        );
        bytes.extend_from_slice(MAGIC);
        put_u64(&mut bytes, self.fingerprint.len());
        bytes.extend_from_slice(self.fingerprint.as_bytes());
        put_u64(&mut bytes, self.step);
        put_u64(&mut bytes, self.diverged_at.map_or(0, |s| s + 1));
        for list in [&self.params, &self.optimizer_state, &self.losses] {
            put_u64(&mut bytes, list.len());
            for v in list.iter() {
                bytes.extend_from_slice(&v.to_bits().to_le_bytes());
            }
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| EmpiricalError::io(path, &e))
    }

    /// Reads a checkpoint written by [`Checkpoint::save`].
    ///
    /// # Errors
    /// [`EmpiricalError::Io`] if the file cannot be read, [`EmpiricalError::Format`] if it is not a checkpoint.
    pub fn load(path: &Path) -> Result<Self, EmpiricalError> {
        let bytes = std::fs::read(path).map_err(|e| EmpiricalError::io(path, &e))?;
        let bad = |detail: &str| EmpiricalError::format(path, "checkpoint", detail);
        let mut reader = Reader {
            bytes: &bytes,
            pos: 0,
        };
        if reader.take(8).ok_or_else(|| bad("too short"))? != MAGIC {
            return Err(bad("wrong magic bytes"));
        }
        let fp_len = reader.u64().ok_or_else(|| bad("truncated header"))?;
        let fingerprint = reader
            .take(fp_len)
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .ok_or_else(|| bad("bad fingerprint"))?;
        let step = reader.u64().ok_or_else(|| bad("truncated header"))?;
        let diverged = reader.u64().ok_or_else(|| bad("truncated header"))?;
        let mut lists = Vec::with_capacity(3);
        for _ in 0..3 {
            let len = reader.u64().ok_or_else(|| bad("truncated"))?;
            let raw = reader
                .take(len.checked_mul(8).ok_or_else(|| bad("bad length"))?)
                .ok_or_else(|| bad("truncated"))?;
            lists.push(
                raw.chunks_exact(8)
                    .map(|c| {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(c);
                        f64::from_bits(u64::from_le_bytes(b))
                    })
                    .collect::<Vec<f64>>(),
            );
        }
        if reader.pos != bytes.len() {
            return Err(bad("trailing bytes"));
        }
        let losses = lists.pop().unwrap_or_default();
        let optimizer_state = lists.pop().unwrap_or_default();
        let params = lists.pop().unwrap_or_default();
        Ok(Self {
            fingerprint,
            step,
            diverged_at: diverged.checked_sub(1),
            params,
            optimizer_state,
            losses,
        })
    }
}

fn put_u64(bytes: &mut Vec<u8>, v: usize) {
    bytes.extend_from_slice(&(v as u64).to_le_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn u64(&mut self) -> Option<usize> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        usize::try_from(u64::from_le_bytes(b)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_round_trips_bit_for_bit() {
        let dir = std::env::temp_dir().join(format!("landscape-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.ckpt");
        let ckpt = Checkpoint {
            fingerprint: "cfg".into(),
            step: 3,
            diverged_at: Some(2),
            params: vec![0.1, -0.0, f64::MIN_POSITIVE, 1e300],
            optimizer_state: vec![],
            losses: vec![f64::NAN, 2.0, 3.0],
        };
        ckpt.save(&path).unwrap();
        let back = Checkpoint::load(&path).unwrap();
        assert_eq!(back.fingerprint, ckpt.fingerprint);
        assert_eq!(back.step, 3);
        assert_eq!(back.diverged_at, Some(2));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.params), bits(&ckpt.params));
        assert_eq!(bits(&back.losses), bits(&ckpt.losses));
        assert!(
            !dir.join("a.ckpt.tmp").exists(),
            "temporary file left behind"
        );
        std::fs::write(&path, b"garbage").unwrap();
        assert!(matches!(
            Checkpoint::load(&path),
            Err(EmpiricalError::Format { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
