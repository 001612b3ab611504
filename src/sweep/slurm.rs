//! Scale-out on Slurm: an sbatch script for a job array whose task `i` runs shard `i + 1` of N.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use super::config::SweepConfig;
use super::error::SweepError;
use super::store::{OutDir, write_atomic};

/// Settings of the job array.
#[derive(Debug, Clone)]
pub struct SlurmOptions {
    /// Array size N (number of shards), ≥ 1.
    pub array: usize,
    /// `--partition`, if any.
    pub partition: Option<String>,
    /// `--time` (Slurm's formats, e.g. `01:00:00`), if any.
    pub time: Option<String>,
    /// Worker threads per task (also `--cpus-per-task`).
    pub jobs: usize,
    /// Submit with `sbatch` after writing the script.
    pub submit: bool,
    /// Pass `--wait` to sbatch: return when the whole array has finished.
    pub wait: bool,
    /// Delete another configuration's results in the output folder instead of refusing.
    pub force: bool,
}

/// What `landscape sweep slurm` did.
#[derive(Debug, Clone, Serialize)]
pub struct SlurmSummary {
    /// The script's path.
    pub script: String,
    /// Array size.
    pub array: usize,
    /// Whether it was submitted.
    pub submitted: bool,
    /// The job id sbatch printed, if submitted.
    pub job_id: Option<String>,
    /// The command that merges the results afterwards.
    pub merge_command: String,
}

/// Quotes `text` for a POSIX shell, leaving words made only of safe characters bare so the script reads
/// like the command a user would type.
fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn absolute(path: &Path) -> Result<PathBuf, SweepError> {
    std::path::absolute(path).map_err(|e| SweepError::io(path, e))
}

/// One Slurm job array: what each task runs and where its logs go.
#[derive(Debug, Clone)]
pub struct ArrayJob {
    /// `#SBATCH --job-name`.
    pub name: String,
    /// The `landscape` subcommand and its arguments that every array task runs (the shard comes from
    /// `SLURM_ARRAY_TASK_ID`/`SLURM_ARRAY_TASK_COUNT`, which `sweep run` and `conjecture check` both read).
    pub args: Vec<String>,
    /// The folder of the script and the tasks' logs.
    pub logs: PathBuf,
}

/// The sbatch script that runs `job` with the binary `exe` as an array of `options.array` tasks.
pub fn array_script(exe: &Path, job: &ArrayJob, options: &SlurmOptions) -> String {
    let mut s = String::from("#!/bin/bash\n");
    s.push_str(
        "# Written by landscape. Array task i runs shard i+1 of N (from SLURM_ARRAY_TASK_ID\n",
    );
    s.push_str("# and SLURM_ARRAY_TASK_COUNT); rerunning a task resumes it.\n");
    s.push_str(&format!("#SBATCH --job-name={}\n", job.name));
    s.push_str(&format!("#SBATCH --array=0-{}\n", options.array - 1));
    s.push_str("#SBATCH --ntasks=1\n");
    s.push_str(&format!("#SBATCH --cpus-per-task={}\n", options.jobs));
    s.push_str(&format!(
        "#SBATCH --output={}/%A_%a.out\n",
        job.logs.display()
    ));
    if let Some(p) = &options.partition {
        s.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(t) = &options.time {
        s.push_str(&format!("#SBATCH --time={t}\n"));
    }
    s.push_str("set -euo pipefail\n");
    let mut line = format!("exec {}", shell_quote(&exe.display().to_string()));
    for arg in &job.args {
        line.push(' ');
        line.push_str(&shell_quote(arg));
    }
    s.push_str(&line);
    s.push('\n');
    s
}

/// The array job of `landscape sweep run config_file --out out --jobs J`.
fn sweep_job(config_file: &Path, out: &Path, jobs: usize) -> ArrayJob {
    ArrayJob {
        name: "landscape-sweep".into(),
        args: vec![
            "sweep".into(),
            "run".into(),
            config_file.display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--jobs".into(),
            jobs.to_string(),
        ],
        logs: out.join("slurm"),
    }
}

/// The sbatch script that runs `config` as an array of `options.array` shards with the binary `exe`.
pub fn script(exe: &Path, config_file: &Path, out: &Path, options: &SlurmOptions) -> String {
    array_script(exe, &sweep_job(config_file, out, options.jobs), options)
}

/// Checks the array settings every job shares.
///
/// # Errors
/// An empty array, zero threads, or a partition or time limit that would break the script.
pub fn check_options(options: &SlurmOptions) -> Result<(), SweepError> {
    if options.array == 0 {
        return Err(SweepError::Usage("--array: must be at least 1".into()));
    }
    if options.jobs == 0 {
        return Err(SweepError::Usage("--jobs: must be at least 1".into()));
    }
    for (flag, value) in [
        ("--partition", &options.partition),
        ("--time", &options.time),
    ] {
        if let Some(v) = value
            && (v.is_empty() || v.chars().any(|c| c.is_whitespace() || c == '#'))
        {
            return Err(SweepError::Usage(format!(
                "{flag}: `{v}` must be one word without spaces or `#`"
            )));
        }
    }
    Ok(())
}

/// Writes `job.logs/file_name` for `job` and, if `options.submit`, submits it; `after` is the command that
/// gathers the results once the array has finished.
///
/// # Errors
/// The script cannot be written, or sbatch cannot be run or fails.
pub fn write_and_submit(
    job: &ArrayJob,
    file_name: &str,
    options: &SlurmOptions,
    after: String,
) -> Result<SlurmSummary, SweepError> {
    check_options(options)?;
    let exe = std::env::current_exe()
        .map_err(|e| SweepError::Failure(format!("cannot locate the landscape binary: {e}")))?;
    std::fs::create_dir_all(&job.logs).map_err(|e| SweepError::io(&job.logs, e))?;
    let path = job.logs.join(file_name);
    write_atomic(&path, array_script(&exe, job, options).as_bytes())?;
    if !options.submit {
        return Ok(SlurmSummary {
            script: path.display().to_string(),
            array: options.array,
            submitted: false,
            job_id: None,
            merge_command: after,
        });
    }
    let mut cmd = Command::new("sbatch");
    if options.wait {
        cmd.arg("--wait");
    }
    let output = cmd.arg(&path).output().map_err(|e| {
        SweepError::Failure(format!(
            "cannot run sbatch ({e}); is Slurm installed? The script is {}",
            path.display()
        ))
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(SweepError::Failure(format!(
            "sbatch {} exited with {:?}: {}",
            path.display(),
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let job_id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Submitted batch job "))
        .map(|id| id.trim().to_string());
    Ok(SlurmSummary {
        script: path.display().to_string(),
        array: options.array,
        submitted: true,
        job_id,
        merge_command: after,
    })
}

/// Prepares the output folder, writes `DIR/slurm/sweep.sbatch` and, if asked, submits it.
pub fn slurm(
    config: &SweepConfig,
    out_dir: &Path,
    options: &SlurmOptions,
) -> Result<SlurmSummary, SweepError> {
    check_options(options)?;
    let out_abs = absolute(out_dir)?;
    let config_abs = absolute(&config.file)?;
    let out = OutDir::new(&out_abs);
    // Refuse a folder of another configuration now, not in N array tasks later.
    out.prepare(config, options.force)?;
    let job = sweep_job(&config_abs, &out_abs, options.jobs);
    let merge_command = format!(
        "landscape sweep merge {}",
        shell_quote(&out_abs.display().to_string())
    );
    write_and_submit(&job, "sweep.sbatch", options, merge_command)
}

/// An absolute path (Slurm tasks may start in another folder).
///
/// # Errors
/// The current folder cannot be read.
pub fn absolute_path(path: &Path) -> Result<PathBuf, SweepError> {
    absolute(path)
}

/// Quotes `text` for a POSIX shell.
pub fn quote(text: &str) -> String {
    shell_quote(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_runs_one_shard_per_array_task() {
        let options = SlurmOptions {
            array: 4,
            partition: Some("debug".into()),
            time: Some("00:10:00".into()),
            jobs: 2,
            submit: false,
            wait: false,
            force: false,
        };
        let s = script(
            Path::new("/bin/land scape"),
            Path::new("/c/it's.toml"),
            Path::new("/o"),
            &options,
        );
        assert!(s.contains("#SBATCH --array=0-3\n"), "{s}");
        assert!(
            s.contains("#SBATCH --partition=debug\n") && s.contains("#SBATCH --time=00:10:00\n")
        );
        assert!(
            s.contains("exec '/bin/land scape' sweep run '/c/it'\\''s.toml' --out /o --jobs 2\n"),
            "{s}"
        );
        assert!(
            !s.contains("--shard"),
            "the shard comes from the array variables"
        );
    }

    #[test]
    fn quoting_survives_the_shell() {
        for word in [
            "",
            "plain",
            "a b",
            "it's",
            "$HOME",
            "x;rm",
            "--scale=quick",
            "*",
        ] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", quote(word)))
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8(out.stdout).unwrap(),
                word,
                "{}",
                quote(word)
            );
        }
    }
}
