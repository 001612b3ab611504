//! Shards: a deterministic subset of the points for one of N processes (a Slurm array task).

use super::error::SweepError;

/// Shard `index` of `count`, 1-based: it owns the points whose grid position `i` has `i mod count = index − 1`.
///
/// Round-robin rather than contiguous blocks, so that a grid whose cost grows along one axis spreads its expensive
/// points over all shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1..=count.
    pub index: usize,
    /// ≥ 1.
    pub count: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Parses `I/N` with 1 ≤ I ≤ N.
    ///
    /// ```
    /// use landscape::sweep::shard::Shard;
    /// assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
    /// assert!(Shard::parse("0/3").is_err() && Shard::parse("4/3").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, SweepError> {
        let bad = |why: &str| {
            SweepError::Usage(format!(
                "--shard: `{text}` {why}; expected I/N with 1 ≤ I ≤ N, e.g. 1/3"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(|| bad("has no `/`"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| bad("has a shard index that is not an integer"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| bad("has a shard count that is not an integer"))?;
        if count == 0 {
            return Err(bad("has a shard count of 0"));
        }
        if index == 0 || index > count {
            return Err(bad(
                "has a shard index outside 1..=N (shards are numbered from 1)",
            ));
        }
        Ok(Self { index, count })
    }

    /// The shard of a Slurm array task: `SLURM_ARRAY_TASK_ID` (minus `SLURM_ARRAY_TASK_MIN`, default 0) + 1 of
    /// `SLURM_ARRAY_TASK_COUNT`; `None` outside an array job.
    pub fn from_slurm_env(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, SweepError> {
        let (Some(id), Some(count)) = (get("SLURM_ARRAY_TASK_ID"), get("SLURM_ARRAY_TASK_COUNT"))
        else {
            return Ok(None);
        };
        let min = get("SLURM_ARRAY_TASK_MIN").unwrap_or_else(|| "0".into());
        let num = |name: &str, v: &str| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| SweepError::Usage(format!("{name}={v} is not a non-negative integer")))
        };
        let (id, count, min) = (
            num("SLURM_ARRAY_TASK_ID", &id)?,
            num("SLURM_ARRAY_TASK_COUNT", &count)?,
            num("SLURM_ARRAY_TASK_MIN", &min)?,
        );
        if id < min || id - min >= count {
            return Err(SweepError::Usage(format!(
                "SLURM_ARRAY_TASK_ID={id} with SLURM_ARRAY_TASK_MIN={min} and SLURM_ARRAY_TASK_COUNT={count} is \
                 not a shard; submit arrays as --array=0-(N-1) (landscape sweep slurm does), or pass --shard I/N"
            )));
        }
        Ok(Some(Self {
            index: id - min + 1,
            count,
        }))
    }

    /// Whether the point at grid position `position` belongs to this shard.
    pub fn owns(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_points() {
        for count in 1..6 {
            for position in 0..50 {
                let owners = (1..=count)
                    .filter(|&index| Shard { index, count }.owns(position))
                    .count();
                assert_eq!(owners, 1, "position {position}, {count} shards");
            }
        }
    }

    #[test]
    fn bad_shard_specs_are_rejected() {
        for spec in ["0/3", "4/3", "1/0", "3", "a/3", "1/b", "-1/3"] {
            assert!(Shard::parse(spec).is_err(), "{spec}");
        }
    }

    #[test]
    fn slurm_array_variables_give_the_shard() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let s = Shard::from_slurm_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]));
        assert_eq!(s.unwrap(), Some(Shard { index: 4, count: 4 }));
        let s = Shard::from_slurm_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]));
        assert!(s.is_err());
        assert_eq!(Shard::from_slurm_env(env(&[])).unwrap(), None);
    }
}
