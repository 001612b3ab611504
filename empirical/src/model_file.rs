//! What a model file is, read from its bytes without libtorch, so that a file landscape cannot load gets a message
//! that says what it is and how to save a TorchScript module instead.
//!
//! PyTorch writes every kind as a zip archive (or, before 1.6, a bare pickle), so the kinds differ only in the
//! archive's members (measured on torch 2.13 with `tests/reference/make_model_files.py`):
//!
//! | kind | written by | tell-tale |
//! |---|---|---|
//! | TorchScript | `torch.jit.script(m).save(p)`, `torch.jit.trace(m, x).save(p)` | a `code/` folder |
//! | export archive | `torch.export.save(torch.export.export(m, (x,)), p)` | `archive_format`, `models/model.json` |
//! | state dict | `torch.save(m.state_dict(), p)` | `data.pkl` whose first object is a dict |
//! | pickled module | `torch.save(m, p)` | `data.pkl` whose first object is another class |
//! | legacy pickle | `torch.save(..., _use_new_zipfile_serialization=False)` | no zip; pickle protocol byte `0x80` |

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::EmpiricalError;

/// What a file that may hold a model is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelFileKind {
    /// A TorchScript archive (`torch.jit.save`): what landscape loads.
    TorchScript,
    /// `torch.save` of a dict (`model.state_dict()`, or a checkpoint dict): weights without the module.
    StateDict,
    /// `torch.save(model)`: a pickled Python object (`class` is its first global, e.g. `torch.nn.modules…`),
    /// which needs its Python class to load.
    PickledObject {
        /// The pickle's first global, `module.Name`.
        class: String,
    },
    /// A `torch.export` archive (`ExportedProgram`), which libtorch's TorchScript loader cannot run.
    ExportArchive,
    /// A pre-1.6 `torch.save` pickle (not a zip archive).
    LegacyPickle,
    /// Anything else.
    Other,
}

/// How to save a module as TorchScript, appended to every refusal.
pub const SAVE_HINT: &str = "save the module itself as TorchScript: torch.jit.script(model).save(PATH) or \
torch.jit.trace(model, example_input).save(PATH)";

/// A model file opened once: a zip archive ready to read, or what its first bytes say it is.
enum Opened {
    Zip(zip::ZipArchive<File>),
    LegacyPickle,
    Other,
}

/// Opens `path` once and reads its first bytes: a pickle protocol byte, a zip signature (then the archive's
/// central directory), or anything else.
fn open(path: &Path) -> Result<Opened, EmpiricalError> {
    use std::io::{Seek, SeekFrom};
    let io = |e: std::io::Error| EmpiricalError::io(path, &e);
    let mut file = File::open(path).map_err(io)?;
    let mut magic = [0u8; 4];
    let read = file.read(&mut magic).map_err(io)?;
    if read >= 1 && magic[0] == 0x80 {
        return Ok(Opened::LegacyPickle);
    }
    if read < 4 || magic != *b"PK\x03\x04" {
        return Ok(Opened::Other);
    }
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    // torch writes its archives from byte 0 and reads them so. The zip crate's default guesses an offset of
    // prepended data instead, and that guess misreads some of torch's layouts ("Invalid Central Directory
    // header" for a trace saved as `vgg_mini_w16_trained200.pt`), so the offset is fixed at 0.
    let config = zip::read::Config {
        archive_offset: zip::read::ArchiveOffset::Known(0),
    };
    Ok(zip::ZipArchive::with_config(config, file).map_or(Opened::Other, Opened::Zip))
}

/// Reads the kind of `path` from its first bytes and, for a zip archive, its member names and the start of its
/// `data.pkl`.
///
/// # Errors
/// [`EmpiricalError::Io`] when the file cannot be opened or read.
pub fn inspect(path: &Path) -> Result<ModelFileKind, EmpiricalError> {
    Ok(match open(path)? {
        Opened::Zip(mut archive) => archive_kind(&mut archive),
        Opened::LegacyPickle => ModelFileKind::LegacyPickle,
        Opened::Other => ModelFileKind::Other,
    })
}

/// The kind of a zip archive from its member names and the start of its `data.pkl`.
fn archive_kind(archive: &mut zip::ZipArchive<File>) -> ModelFileKind {
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|name| name.ok().map(|n| n.into_owned()))
        .collect();
    // Member names are `<archive>/<member>`; the archive folder is named after the file when it was saved.
    let member = |name: &str| {
        name.split_once('/')
            .map_or(name, |(_, rest)| rest)
            .to_string()
    };
    let members: Vec<String> = names.iter().map(|n| member(n)).collect();
    if members
        .iter()
        .any(|m| m.starts_with("code/") || m == "constants.pkl")
    {
        return ModelFileKind::TorchScript;
    }
    if members
        .iter()
        .any(|m| m == "archive_format" || m == "models/model.json")
    {
        return ModelFileKind::ExportArchive;
    }
    let Some(pickle) = names.iter().find(|n| member(n) == "data.pkl") else {
        return ModelFileKind::Other;
    };
    let mut head = Vec::new();
    if let Ok(entry) = archive.by_name(pickle) {
        // The first global sits in the first few bytes; 4 KiB is plenty and bounds the read.
        let _ = entry.take(4096).read_to_end(&mut head);
    }
    classify_pickle(&head)
}

/// A `torch.save` pickle's kind from its first opcodes: protocol 2 (`0x80 0x02`), then either an empty dict
/// (`}`), or a global `c<module>\n<name>\n` — `collections.OrderedDict` for a state dict, any other class for a
/// pickled object.
fn classify_pickle(head: &[u8]) -> ModelFileKind {
    let body = match head {
        [0x80, _, rest @ ..] => rest,
        other => other,
    };
    match body.first() {
        Some(b'}') => ModelFileKind::StateDict,
        Some(b'c') => {
            let mut lines = body[1..].splitn(3, |&b| b == b'\n');
            let module = String::from_utf8_lossy(lines.next().unwrap_or_default());
            let name = String::from_utf8_lossy(lines.next().unwrap_or_default());
            if module == "collections" && name == "OrderedDict" {
                ModelFileKind::StateDict
            } else {
                ModelFileKind::PickledObject {
                    class: format!("{module}.{name}"),
                }
            }
        }
        _ => ModelFileKind::Other,
    }
}

/// The mode-dependent operations a TorchScript archive's code calls (`batch_norm`, `instance_norm`, `dropout` and
/// its variants), found in its `code/` members: the layers whose output should differ between `train()` and
/// `eval()`. Empty for other kinds of file.
///
/// # Errors
/// [`EmpiricalError::Io`] when the file cannot be opened.
pub fn mode_dependent_ops(path: &Path) -> Result<Vec<&'static str>, EmpiricalError> {
    Ok(match open(path)? {
        Opened::Zip(mut archive) => ops_in_code(&mut archive),
        _ => Vec::new(),
    })
}

fn ops_in_code(archive: &mut zip::ZipArchive<File>) -> Vec<&'static str> {
    const OPS: [&str; 3] = ["batch_norm", "instance_norm", "dropout"];
    let code: Vec<String> = archive
        .file_names()
        .filter_map(|name| name.ok().map(|n| n.into_owned()))
        .filter(|n| n.contains("/code/") && n.ends_with(".py"))
        .collect();
    let mut found = Vec::new();
    for name in code {
        let mut text = String::new();
        if let Ok(entry) = archive.by_name(&name) {
            // Generated code files are small; 4 MiB bounds a pathological archive.
            let _ = entry.take(4 << 20).read_to_string(&mut text);
        }
        for op in OPS {
            if !found.contains(&op) && text.contains(op) {
                found.push(op);
            }
        }
    }
    found
}

/// `Ok` for a TorchScript archive; otherwise the one-line error that names what the file is and how to save a
/// TorchScript module instead.
///
/// # Errors
/// [`EmpiricalError::Io`] when the file cannot be read; [`EmpiricalError::Format`] for any other kind.
pub fn require_torchscript(path: &Path) -> Result<(), EmpiricalError> {
    refuse_unless_torchscript(path, inspect(path)?)
}

/// [`require_torchscript`] and [`mode_dependent_ops`] from one opening of the file: what a loader checks before
/// libtorch reads the archive.
///
/// # Errors
/// As [`require_torchscript`].
pub fn torchscript_mode_ops(path: &Path) -> Result<Vec<&'static str>, EmpiricalError> {
    let (kind, ops) = match open(path)? {
        Opened::Zip(mut archive) => (archive_kind(&mut archive), ops_in_code(&mut archive)),
        Opened::LegacyPickle => (ModelFileKind::LegacyPickle, Vec::new()),
        Opened::Other => (ModelFileKind::Other, Vec::new()),
    };
    refuse_unless_torchscript(path, kind)?;
    Ok(ops)
}

fn refuse_unless_torchscript(path: &Path, kind: ModelFileKind) -> Result<(), EmpiricalError> {
    let what = match kind {
        ModelFileKind::TorchScript => return Ok(()),
        ModelFileKind::StateDict => {
            "it holds a state dict (torch.save(model.state_dict())): weights without the module".to_string()
        }
        ModelFileKind::PickledObject { class } => format!(
            "it is a pickled {class} (torch.save(model)), which only Python with that class can load"
        ),
        ModelFileKind::ExportArchive => {
            "it is a torch.export archive (ExportedProgram), which the TorchScript loader cannot run".to_string()
        }
        ModelFileKind::LegacyPickle => {
            "it is a pre-1.6 torch.save pickle (a state dict or a pickled module)".to_string()
        }
        ModelFileKind::Other => "it is not a PyTorch archive".to_string(),
    };
    Err(EmpiricalError::format(
        path,
        "TorchScript",
        format!("{what}; {SAVE_HINT}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The files `tests/reference/make_model_files.py` wrote with torch 2.13.
    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/reference/model_files")
            .join(name)
    }

    #[test]
    fn every_kind_of_saved_model_is_told_apart() {
        for (file, kind) in [
            ("script.pt", ModelFileKind::TorchScript),
            ("trace.pt", ModelFileKind::TorchScript),
            ("vgg_mini_w16_trained200.pt", ModelFileKind::TorchScript),
            ("state.pth", ModelFileKind::StateDict),
            (
                "pickled.pt",
                ModelFileKind::PickledObject {
                    class: "torch.nn.modules.container.Sequential".into(),
                },
            ),
            ("legacy.pt", ModelFileKind::LegacyPickle),
            ("export.pt2", ModelFileKind::ExportArchive),
        ] {
            assert_eq!(inspect(&fixture(file)).unwrap(), kind, "{file}");
        }
        // A file of another kind altogether: the vendored digits (gzip).
        let digits = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/digits.csv.gz");
        assert_eq!(inspect(&digits).unwrap(), ModelFileKind::Other);
    }

    #[test]
    fn refusals_name_the_kind_and_the_way_to_save_torchscript_in_one_line() {
        assert!(require_torchscript(&fixture("script.pt")).is_ok());
        for (file, needle) in [
            ("state.pth", "state dict"),
            (
                "pickled.pt",
                "pickled torch.nn.modules.container.Sequential",
            ),
            ("legacy.pt", "pre-1.6"),
            ("export.pt2", "torch.export archive"),
        ] {
            let message = require_torchscript(&fixture(file)).unwrap_err().to_string();
            assert!(message.contains(needle), "{file}: {message}");
            assert!(
                message.contains("torch.jit.script(model).save"),
                "{file}: {message}"
            );
            assert!(!message.contains('\n'), "{file}: {message}");
        }
        assert!(matches!(
            require_torchscript(&fixture("missing.pt")),
            Err(EmpiricalError::Io { .. })
        ));
    }

    #[test]
    fn mode_dependent_layers_are_found_in_the_code() {
        assert_eq!(
            mode_dependent_ops(&fixture("bn_traced.pt")).unwrap(),
            vec!["batch_norm"]
        );
        assert_eq!(
            mode_dependent_ops(&fixture("bn_scripted.pt")).unwrap(),
            vec!["batch_norm"]
        );
        assert!(
            mode_dependent_ops(&fixture("script.pt"))
                .unwrap()
                .is_empty()
        );
        assert!(
            mode_dependent_ops(&fixture("state.pth"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn pickle_heads_are_classified_by_their_first_object() {
        assert_eq!(classify_pickle(b"\x80\x02}q\x00"), ModelFileKind::StateDict);
        assert_eq!(
            classify_pickle(b"\x80\x02ccollections\nOrderedDict\nq\x00"),
            ModelFileKind::StateDict
        );
        assert_eq!(
            classify_pickle(b"\x80\x02c__main__\nNet\nq\x00"),
            ModelFileKind::PickledObject {
                class: "__main__.Net".into()
            }
        );
        assert_eq!(classify_pickle(b""), ModelFileKind::Other);
    }
}
