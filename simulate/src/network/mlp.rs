//! A fully connected network with PyTorch's layout, its initialisations and its forward pass.
//!
//! Widths `[d_0, d_1, …, d_L]` give `L` affine layers. Layer ℓ = 1..L computes, for a batch `X_{ℓ−1}` of shape
//! `n × d_{ℓ−1}` (one sample per row),
//!
//! ```text
//! H_ℓ = s_ℓ · X_{ℓ−1} W_ℓᵀ + β · 1 b_ℓᵀ,      X_ℓ = σ(H_ℓ) for ℓ < L,      f = H_L,
//! ```
//!
//! with `W_ℓ` of shape `[d_ℓ, d_{ℓ−1}]` (`nn.Linear.weight`) and `b_ℓ` of length `d_ℓ`. No activation follows the
//! last layer: this is `nn.Sequential(Linear, act, Linear, act, …, Linear)`. The scales are `s_ℓ = β = 1` except
//! under [`Parameterization::Ntk`].
//!
//! **Flat parameter layout** (the order of `model.parameters()`): for each layer in order, `W_ℓ` row-major
//! (`W_ℓ[i, j]` at `offset + i·d_{ℓ−1} + j`), then `b_ℓ` when biases are on.

use rand::RngExt;
use rand_distr::StandardNormal;

use super::activation::Activation;
use super::gemm::{View, gemm};
use crate::SimulateError;
use crate::rng::Rng;

/// How weights are initialised and scaled in the forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Parameterization {
    /// PyTorch's `nn.Linear` default: `kaiming_uniform_(a=√5)` gives `W ~ U(−1/√d_in, 1/√d_in)`, and biases
    /// `U(−1/√d_in, 1/√d_in)`. (Same law as PyTorch; not the same random stream.)
    #[default]
    TorchDefault,
    /// Standard parameterisation: `W ~ N(0, σ_w²/d_in)`, `b ~ N(0, σ_b²)`; no scale in the forward pass.
    Standard {
        /// σ_w, the weight scale (σ_w² = 1 keeps `E h² = E x²`).
        sigma_w: f64,
        /// σ_b, the bias standard deviation (0 gives zero biases).
        sigma_b: f64,
    },
    /// NTK parameterisation (Jacot et al. 2018; `docs/theory.md` §A1.1): `W, b ~ N(0, 1)` and the forward pass computes
    /// `H = X Wᵀ/√d_in + β·b`. With inputs of unit-variance entries ([`super::data::InputScale::UnitVariance`])
    /// and no biases this is exactly Fan & Wang's network, whose data have `‖x‖ ≈ 1`.
    Ntk {
        /// β, the bias multiplier.
        bias_scale: f64,
    },
}

/// What a network is; validated by [`Mlp::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct MlpConfig {
    /// `[d_0, …, d_L]`: input width, hidden widths, output width (`L ≥ 1`).
    pub widths: Vec<usize>,
    /// The activation after every hidden layer.
    pub activation: Activation,
    /// Initialisation and forward scaling.
    pub parameterization: Parameterization,
    /// Whether layers have biases.
    pub bias: bool,
}

/// Where one layer's parameters live in the flat vector, and its forward scales.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerLayout {
    /// `d_{ℓ−1}`.
    pub fan_in: usize,
    /// `d_ℓ`.
    pub fan_out: usize,
    /// Offset of `W_ℓ[0, 0]`.
    pub weight_offset: usize,
    /// Offset of `b_ℓ[0]`, when biases are on.
    pub bias_offset: Option<usize>,
    /// `s_ℓ`, the multiplier of `X W_ℓᵀ`.
    pub weight_scale: f64,
    /// `β`, the multiplier of `b_ℓ`.
    pub bias_scale: f64,
}

/// A validated fully connected network (the architecture; parameters are a separate flat vector).
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    config: MlpConfig,
    layers: Vec<LayerLayout>,
    n_params: usize,
}

/// Which activation derivatives a forward pass keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Derivatives {
    /// Values only (inference).
    None,
    /// σ' too (gradients, Jacobians, Gauss–Newton products).
    First,
    /// σ' and σ'' (Hessian products).
    FirstAndSecond,
}

/// Pre-activations and activations of one forward pass, with σ' and σ'' at every hidden pre-activation.
#[derive(Debug, Clone)]
pub(crate) struct ForwardCache {
    pub n: usize,
    /// `pre[ℓ] = H_{ℓ+1}`, `n × d_{ℓ+1}`; the last one is the output.
    pub pre: Vec<Vec<f64>>,
    /// `post[ℓ] = σ(H_{ℓ+1})` for hidden layers only.
    pub post: Vec<Vec<f64>>,
    /// `σ'(H_{ℓ+1})` for hidden layers (empty under [`Derivatives::None`]).
    pub d1: Vec<Vec<f64>>,
    /// `σ''(H_{ℓ+1})` for hidden layers (empty unless [`Derivatives::FirstAndSecond`]).
    pub d2: Vec<Vec<f64>>,
}

impl ForwardCache {
    /// The network outputs `n × d_L`.
    pub fn outputs(&self) -> &[f64] {
        self.pre.last().map_or(&[], Vec::as_slice)
    }
}

impl Mlp {
    /// Validates the configuration: at least two widths, all ≥ 1, finite positive scales.
    pub fn new(config: MlpConfig) -> Result<Self, SimulateError> {
        if config.widths.len() < 2 {
            return Err(SimulateError::invalid(
                "widths",
                format!("{:?}", config.widths),
                "at least an input and an output width",
            ));
        }
        if config.widths.contains(&0) {
            return Err(SimulateError::invalid(
                "widths",
                format!("{:?}", config.widths),
                "every width ≥ 1",
            ));
        }
        match config.parameterization {
            Parameterization::TorchDefault => {}
            Parameterization::Standard { sigma_w, sigma_b } => {
                if !(sigma_w > 0.0 && sigma_w.is_finite()) {
                    return Err(SimulateError::invalid(
                        "sigma_w",
                        sigma_w,
                        "a finite value > 0",
                    ));
                }
                if !(sigma_b >= 0.0 && sigma_b.is_finite()) {
                    return Err(SimulateError::invalid(
                        "sigma_b",
                        sigma_b,
                        "a finite value ≥ 0",
                    ));
                }
            }
            Parameterization::Ntk { bias_scale } => {
                if !bias_scale.is_finite() {
                    return Err(SimulateError::invalid(
                        "bias_scale",
                        bias_scale,
                        "a finite value",
                    ));
                }
            }
        }
        let mut layers = Vec::with_capacity(config.widths.len() - 1);
        let mut offset = 0;
        for w in config.widths.windows(2) {
            let (fan_in, fan_out) = (w[0], w[1]);
            let weight_offset = offset;
            offset += fan_in * fan_out;
            let bias_offset = config.bias.then(|| {
                let o = offset;
                offset += fan_out;
                o
            });
            let (weight_scale, bias_scale) = match config.parameterization {
                Parameterization::Ntk { bias_scale } => (1.0 / (fan_in as f64).sqrt(), bias_scale),
                _ => (1.0, 1.0),
            };
            layers.push(LayerLayout {
                fan_in,
                fan_out,
                weight_offset,
                bias_offset,
                weight_scale,
                bias_scale,
            });
        }
        Ok(Self {
            config,
            layers,
            n_params: offset,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &MlpConfig {
        &self.config
    }

    /// `[d_0, …, d_L]`.
    pub fn widths(&self) -> &[usize] {
        &self.config.widths
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.config.activation
    }

    /// Per-layer offsets and scales, in layer order.
    pub fn layers(&self) -> &[LayerLayout] {
        &self.layers
    }

    /// `P = Σ_ℓ d_ℓ (d_{ℓ−1} + [bias])`.
    pub fn n_params(&self) -> usize {
        self.n_params
    }

    /// `d_0`.
    pub fn n_inputs(&self) -> usize {
        self.config.widths[0]
    }

    /// `d_L`.
    pub fn n_outputs(&self) -> usize {
        self.config.widths[self.config.widths.len() - 1]
    }

    /// A fresh flat parameter vector drawn from the parameterisation's initial law, layer by layer, weights
    /// before biases.
    pub fn init(&self, rng: &mut Rng) -> Vec<f64> {
        let mut params = vec![0.0; self.n_params];
        for layer in &self.layers {
            let fan_in = layer.fan_in as f64;
            let weights = &mut params
                [layer.weight_offset..layer.weight_offset + layer.fan_in * layer.fan_out];
            match self.config.parameterization {
                Parameterization::TorchDefault => {
                    let bound = 1.0 / fan_in.sqrt();
                    weights.iter_mut().for_each(|w| *w = uniform(rng, bound));
                }
                Parameterization::Standard { sigma_w, .. } => {
                    let std = sigma_w / fan_in.sqrt();
                    weights.iter_mut().for_each(|w| *w = std * normal(rng));
                }
                Parameterization::Ntk { .. } => weights.iter_mut().for_each(|w| *w = normal(rng)),
            }
            if let Some(bo) = layer.bias_offset {
                let biases = &mut params[bo..bo + layer.fan_out];
                match self.config.parameterization {
                    Parameterization::TorchDefault => {
                        let bound = 1.0 / fan_in.sqrt();
                        biases.iter_mut().for_each(|b| *b = uniform(rng, bound));
                    }
                    Parameterization::Standard { sigma_b, .. } => {
                        biases.iter_mut().for_each(|b| *b = sigma_b * normal(rng));
                    }
                    Parameterization::Ntk { .. } => {
                        biases.iter_mut().for_each(|b| *b = normal(rng))
                    }
                }
            }
        }
        params
    }

    /// Checks a parameter vector's length and an input batch's shape.
    pub(crate) fn check_shapes(
        &self,
        params: &[f64],
        x: &[f64],
        n: usize,
    ) -> Result<(), SimulateError> {
        if params.len() != self.n_params {
            return Err(SimulateError::invalid(
                "params.len()",
                params.len(),
                format!("P = {}", self.n_params),
            ));
        }
        if n == 0 || x.len() != n * self.n_inputs() {
            return Err(SimulateError::invalid(
                "x.len()",
                x.len(),
                format!("n·d_0 = {}·{} with n ≥ 1", n, self.n_inputs()),
            ));
        }
        Ok(())
    }

    /// The outputs `f(x_α)` for a row-major batch `x` of `n` samples: row-major `n × d_L`.
    ///
    /// Cost `O(n P)`. Errors on shape mismatches.
    pub fn forward(&self, params: &[f64], x: &[f64], n: usize) -> Result<Vec<f64>, SimulateError> {
        self.check_shapes(params, x, n)?;
        let mut cache = self.forward_cache(params, x, n, Derivatives::None);
        Ok(cache.pre.pop().unwrap_or_default())
    }

    /// The forward pass keeping everything backpropagation needs. Shapes must have been checked.
    pub(crate) fn forward_cache(
        &self,
        params: &[f64],
        x: &[f64],
        n: usize,
        derivatives: Derivatives,
    ) -> ForwardCache {
        let n_layers = self.layers.len();
        let act = self.config.activation;
        let mut cache = ForwardCache {
            n,
            pre: Vec::with_capacity(n_layers),
            post: Vec::with_capacity(n_layers - 1),
            d1: Vec::with_capacity(n_layers - 1),
            d2: Vec::with_capacity(n_layers - 1),
        };
        for (l, layer) in self.layers.iter().enumerate() {
            let input: &[f64] = if l == 0 { x } else { &cache.post[l - 1] };
            let mut h = vec![0.0; n * layer.fan_out];
            self.affine(params, layer, input, n, &mut h);
            if l + 1 < n_layers {
                let mut post = vec![0.0; h.len()];
                let (mut d1, mut d2) = (Vec::new(), Vec::new());
                match derivatives {
                    Derivatives::None => {
                        for (p, hi) in post.iter_mut().zip(&h) {
                            *p = act.value(*hi);
                        }
                    }
                    Derivatives::First => {
                        d1 = vec![0.0; h.len()];
                        for i in 0..h.len() {
                            (post[i], d1[i]) = act.value_and_derivative(h[i]);
                        }
                    }
                    Derivatives::FirstAndSecond => {
                        d1 = vec![0.0; h.len()];
                        d2 = vec![0.0; h.len()];
                        for i in 0..h.len() {
                            (post[i], d1[i], d2[i]) = act.value_and_derivatives(h[i]);
                        }
                    }
                }
                cache.post.push(post);
                cache.d1.push(d1);
                cache.d2.push(d2);
            }
            cache.pre.push(h);
        }
        cache
    }

    /// `out = s·input·Wᵀ + β·1 bᵀ` for one layer.
    fn affine(
        &self,
        params: &[f64],
        layer: &LayerLayout,
        input: &[f64],
        n: usize,
        out: &mut [f64],
    ) {
        let w = weight(params, layer);
        gemm(
            out,
            View::new(input, n, layer.fan_in),
            View::new(w, layer.fan_out, layer.fan_in).t(),
            layer.weight_scale,
            false,
        );
        if let Some(bo) = layer.bias_offset {
            let b = &params[bo..bo + layer.fan_out];
            for row in out.chunks_exact_mut(layer.fan_out) {
                for (o, bj) in row.iter_mut().zip(b) {
                    *o += layer.bias_scale * bj;
                }
            }
        }
    }
}

/// Layer ℓ's weight block of a flat vector (parameters or a direction).
pub(crate) fn weight<'a>(flat: &'a [f64], layer: &LayerLayout) -> &'a [f64] {
    &flat[layer.weight_offset..layer.weight_offset + layer.fan_in * layer.fan_out]
}

fn uniform(rng: &mut Rng, bound: f64) -> f64 {
    rng.random_range(-bound..bound)
}

fn normal(rng: &mut Rng) -> f64 {
    rng.sample(StandardNormal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    fn tiny(parameterization: Parameterization, bias: bool) -> Mlp {
        Mlp::new(MlpConfig {
            widths: vec![3, 4, 2],
            activation: Activation::Tanh,
            parameterization,
            bias,
        })
        .unwrap()
    }

    #[test]
    fn parameter_count_and_layout_follow_torch_order() {
        let mlp = tiny(Parameterization::TorchDefault, true);
        assert_eq!(mlp.n_params(), 3 * 4 + 4 + 4 * 2 + 2);
        let l = mlp.layers();
        assert_eq!((l[0].weight_offset, l[0].bias_offset), (0, Some(12)));
        assert_eq!((l[1].weight_offset, l[1].bias_offset), (16, Some(24)));
        assert_eq!(
            tiny(Parameterization::TorchDefault, false).n_params(),
            12 + 8
        );
    }

    #[test]
    fn forward_matches_a_hand_written_loop() {
        for par in [
            Parameterization::TorchDefault,
            Parameterization::Standard {
                sigma_w: 1.3,
                sigma_b: 0.2,
            },
            Parameterization::Ntk { bias_scale: 0.5 },
        ] {
            let mlp = tiny(par, true);
            let params = mlp.init(&mut seeded(1));
            let x = [0.1, -0.5, 2.0, 1.0, 0.0, -1.0];
            let out = mlp.forward(&params, &x, 2).unwrap();
            for a in 0..2 {
                let mut cur: Vec<f64> = x[a * 3..a * 3 + 3].to_vec();
                for (l, layer) in mlp.layers().iter().enumerate() {
                    let mut next = vec![0.0; layer.fan_out];
                    for (i, nx) in next.iter_mut().enumerate() {
                        let mut s = 0.0;
                        for (j, c) in cur.iter().enumerate() {
                            s += params[layer.weight_offset + i * layer.fan_in + j] * c;
                        }
                        *nx = layer.weight_scale * s
                            + layer.bias_scale * params[layer.bias_offset.unwrap() + i];
                        if l == 0 {
                            *nx = nx.tanh();
                        }
                    }
                    cur = next;
                }
                for j in 0..2 {
                    // One rounding per operation in a length-4 dot product: 1e-14 absolute on O(1) outputs.
                    assert!(
                        (out[a * 2 + j] - cur[j]).abs() < 1e-14,
                        "{par:?} sample {a} out {j}"
                    );
                }
            }
        }
    }

    /// Fan & Wang (`docs/theory.md` §A1.1): `X_ℓ = σ(W_ℓ X_{ℓ−1})/√d_ℓ`, `f = wᵀX_L`, data with ‖x‖ ≈ 1. The NTK
    /// parameterisation without biases, fed `√d_0·x`, must give the same function of the same parameters.
    #[test]
    fn ntk_parameterization_on_unit_variance_inputs_is_fan_wang_network() {
        let widths = vec![5, 7, 6, 1];
        let mlp = Mlp::new(MlpConfig {
            widths: widths.clone(),
            activation: Activation::Erf,
            parameterization: Parameterization::Ntk { bias_scale: 1.0 },
            bias: false,
        })
        .unwrap();
        let mut rng = seeded(11);
        let params = mlp.init(&mut rng);
        let x_fw = crate::network::data::gaussian_inputs(
            1,
            5,
            crate::network::data::InputScale::UnitNorm,
            &mut rng,
        );
        let x_tilde: Vec<f64> = x_fw.iter().map(|v| v * 5f64.sqrt()).collect();
        let ours = mlp.forward(&params, &x_tilde, 1).unwrap()[0];
        let mut cur = x_fw.clone();
        for (l, layer) in mlp.layers().iter().enumerate() {
            let w = weight(&params, layer);
            let h: Vec<f64> = w
                .chunks_exact(layer.fan_in)
                .map(|row| row.iter().zip(&cur).map(|(a, b)| a * b).sum())
                .collect();
            cur = if l + 1 < mlp.layers().len() {
                let d = widths[l + 1] as f64;
                h.iter().map(|v| libm::erf(*v) / d.sqrt()).collect()
            } else {
                h
            };
        }
        // A handful of roundings on O(1) values.
        assert!(
            (ours - cur[0]).abs() < 1e-13,
            "seed 11: ours {ours}, FW {}",
            cur[0]
        );
    }

    #[test]
    fn torch_default_init_is_bounded_by_one_over_sqrt_fan_in() {
        let mlp = Mlp::new(MlpConfig {
            widths: vec![16, 9, 3],
            activation: Activation::Relu,
            parameterization: Parameterization::TorchDefault,
            bias: true,
        })
        .unwrap();
        let p = mlp.init(&mut seeded(5));
        let l1 = &mlp.layers()[1];
        assert!(p[..l1.weight_offset].iter().all(|v| v.abs() < 0.25));
        assert!(p[l1.weight_offset..].iter().all(|v| v.abs() < 1.0 / 3.0));
        // Same seed, same parameters.
        assert_eq!(p, mlp.init(&mut seeded(5)));
    }

    #[test]
    fn invalid_configurations_are_errors() {
        let bad = |widths: Vec<usize>, parameterization| {
            Mlp::new(MlpConfig {
                widths,
                activation: Activation::Relu,
                parameterization,
                bias: true,
            })
            .is_err()
        };
        assert!(bad(vec![3], Parameterization::TorchDefault));
        assert!(bad(vec![3, 0, 1], Parameterization::TorchDefault));
        assert!(bad(
            vec![3, 1],
            Parameterization::Standard {
                sigma_w: -1.0,
                sigma_b: 0.0
            }
        ));
        let mlp = tiny(Parameterization::TorchDefault, true);
        assert!(mlp.forward(&[0.0; 3], &[0.0; 3], 1).is_err());
        assert!(
            mlp.forward(&vec![0.0; mlp.n_params()], &[0.0; 4], 1)
                .is_err()
        );
    }
}
