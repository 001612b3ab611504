//! Networks whose parameters are an ordered list of `f64` tensors: a built-in MLP or a TorchScript module.
//!
//! The flat parameter vector follows PyTorch's `named_parameters()` order; for the MLP that is, layer by layer,
//! the weight `[out, in]` row-major and then the bias `[out]` — the layout of `nn.Sequential(nn.Linear, …)`.

use super::{DeviceSpec, reason_line, torch_err};
use crate::EmpiricalError;
use crate::data::{Dataset, Targets};
use crate::spec::{OutputSelect, Precision};
use landscape_simulate::rng;
use rand_distr::{Distribution, Uniform};
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// The hidden-layer nonlinearity of the built-in MLP: the native backend's own type, so both backends build
/// the same network from one CLI name.
pub use landscape_simulate::network::Activation;

/// Train or eval mode: the crate's one [`crate::model::Mode`].
pub use crate::model::Mode;

enum Architecture {
    Mlp {
        activation: Activation,
    },
    /// Blocks of conv 3×3 (padding 1) + ReLU + (2×2 average pooling where `pools[i]`), then a linear head.
    Cnn {
        image: [usize; 3],
        pools: Vec<bool>,
    },
    /// A conv 3×3 stem + ReLU, `depth` basic blocks `h ← relu(h + conv(relu(conv(h))))`, global average
    /// pooling, a linear head.
    ResNet {
        image: [usize; 3],
        depth: usize,
    },
    Script(tch::CModule),
}

impl std::fmt::Debug for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Mlp { activation } => write!(f, "Mlp({})", activation.name()),
            Self::Cnn { image, pools } => write!(f, "Cnn({image:?}, pools {pools:?})"),
            Self::ResNet { image, depth } => write!(f, "ResNet({image:?}, depth {depth})"),
            Self::Script(_) => write!(f, "TorchScript"),
        }
    }
}

/// A network with `f64` parameters on one device.
#[derive(Debug)]
pub struct TorchModel {
    architecture: Architecture,
    names: Vec<String>,
    params: Vec<Tensor>,
    device: Device,
    mode: Mode,
    description: String,
    /// Which output of a TorchScript module that returns a tuple, list or dict.
    output: OutputSelect,
    /// The output actually taken, once a forward pass has seen what the module returns (`"tuple element 0 of 2"`).
    chosen_output: std::sync::OnceLock<String>,
    /// The mode-dependent operations a TorchScript module's code calls (batch norm, dropout, …).
    mode_ops: Vec<&'static str>,
    /// The dtype of parameters, inputs and products (`f64` unless [`TorchModel::set_precision`] says otherwise).
    precision: Precision,
}

impl TorchModel {
    /// A fully connected network with layer widths `widths = [d₀, d₁, …, d_L]` (`d₀` inputs, `d_L` outputs),
    /// `activation` after every layer but the last, initialised as PyTorch's `nn.Linear` does
    /// (`U(−1/√fan_in, 1/√fan_in)` for weights and biases) from [`rng::seeded`]`(seed)` — not libtorch's global
    /// RNG — in parameter order.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] for fewer than two widths or a zero width;
    /// [`EmpiricalError::CudaUnavailable`] for a CUDA device libtorch does not see.
    pub fn mlp(
        widths: &[usize],
        activation: Activation,
        seed: u64,
        device: DeviceSpec,
    ) -> Result<Self, EmpiricalError> {
        if widths.len() < 2 || widths.contains(&0) {
            return Err(EmpiricalError::invalid(
                "widths",
                format!("{widths:?}"),
                "at least two positive layer widths",
            ));
        }
        let device = device.to_tch()?;
        let mut init = Init::new(seed, device);
        for (layer, pair) in widths.windows(2).enumerate() {
            // The names nn.Sequential gives with activations between the linear layers.
            init.layer(&format!("{}", 2 * layer), &[pair[1], pair[0]])?;
        }
        let (names, params) = init.finish();
        Ok(Self {
            architecture: Architecture::Mlp { activation },
            names,
            params,
            device,
            // No dropout or batch norm: both modes compute the same function; report eval, as the native MLP.
            mode: Mode::Eval,
            output: OutputSelect::Auto,
            chosen_output: std::sync::OnceLock::new(),
            mode_ops: Vec::new(),
            precision: Precision::F64,
            description: format!("mlp{widths:?} {}", activation.name()),
        })
    }

    /// A small convolutional network on images of `input` shape (`[C, H, W]`, or `[H, W]` for one channel):
    /// for each entry `c` of `channels` a block `Conv2d(c_prev, c, 3, padding=1)` + ReLU + `AvgPool2d(2)` (the
    /// pooling only while both sides are at least 2), then `Flatten` and `Linear(·, n_outputs)`. Parameters in the
    /// order and with the names of the equivalent `nn.Sequential`, initialised as PyTorch does
    /// (`U(−1/√fan_in, 1/√fan_in)`, `fan_in = c_in·3·3` for a convolution) from [`rng::seeded`]`(seed)`.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] for no channels, a zero channel or output count;
    /// [`EmpiricalError::Shape`] for an input shape that is not an image; [`EmpiricalError::CudaUnavailable`].
    pub fn cnn(
        channels: &[usize],
        input: &[usize],
        n_outputs: usize,
        seed: u64,
        device: DeviceSpec,
    ) -> Result<Self, EmpiricalError> {
        if channels.is_empty() || channels.contains(&0) || n_outputs == 0 {
            return Err(EmpiricalError::invalid(
                "channels",
                format!("{channels:?} with {n_outputs} outputs"),
                "at least one positive channel count and at least one output",
            ));
        }
        let image = image_shape(input, "cnn")?;
        let device = device.to_tch()?;
        let mut init = Init::new(seed, device);
        let (mut c_prev, mut h, mut w) = (image[0], image[1], image[2]);
        let mut pools = Vec::new();
        let mut index = 0;
        for &c in channels {
            init.layer(&format!("{index}"), &[c, c_prev, 3, 3])?;
            let pool = h >= 2 && w >= 2;
            pools.push(pool);
            index += if pool { 3 } else { 2 };
            if pool {
                (h, w) = (h / 2, w / 2);
            }
            c_prev = c;
        }
        // Flatten takes one index of the Sequential, the head the next.
        init.layer(&format!("{}", index + 1), &[n_outputs, c_prev * h * w])?;
        let (names, params) = init.finish();
        Ok(Self {
            description: format!(
                "cnn{channels:?} on {}x{}x{} images, {n_outputs} outputs",
                image[0], image[1], image[2]
            ),
            architecture: Architecture::Cnn { image, pools },
            names,
            params,
            device,
            // No dropout or batch norm: both modes compute the same function.
            mode: Mode::Eval,
            output: OutputSelect::Auto,
            chosen_output: std::sync::OnceLock::new(),
            mode_ops: Vec::new(),
            precision: Precision::F64,
        })
    }

    /// A small residual network without batch normalization on images of `input` shape: a stem
    /// `Conv2d(C, width, 3, padding=1)` + ReLU, `depth` basic blocks `h ← relu(h + conv2(relu(conv1(h))))` with
    /// `conv1, conv2 = Conv2d(width, width, 3, padding=1)`, global average pooling and `Linear(width, n_outputs)`.
    /// Parameter names are those of a module with attributes `stem`, `blocks` (a `ModuleList` of modules with
    /// `conv1`, `conv2`) and `fc`; initialised as PyTorch does from [`rng::seeded`]`(seed)`.
    ///
    /// Batch norm is left out deliberately: its train-mode output depends on the whole batch, which would make
    /// the curvature over `k` copies of a batch differ from that over the batch and the mode matter.
    ///
    /// # Errors
    /// As [`TorchModel::cnn`].
    pub fn resnet(
        depth: usize,
        width: usize,
        input: &[usize],
        n_outputs: usize,
        seed: u64,
        device: DeviceSpec,
    ) -> Result<Self, EmpiricalError> {
        if width == 0 || n_outputs == 0 {
            return Err(EmpiricalError::invalid(
                "width",
                format!("{width} with {n_outputs} outputs"),
                "a positive width and at least one output",
            ));
        }
        let image = image_shape(input, "resnet")?;
        let device = device.to_tch()?;
        let mut init = Init::new(seed, device);
        init.layer("stem", &[width, image[0], 3, 3])?;
        for block in 0..depth {
            init.layer(&format!("blocks.{block}.conv1"), &[width, width, 3, 3])?;
            init.layer(&format!("blocks.{block}.conv2"), &[width, width, 3, 3])?;
        }
        init.layer("fc", &[n_outputs, width])?;
        let (names, params) = init.finish();
        Ok(Self {
            description: format!(
                "resnet(depth={depth}, width={width}) on {}x{}x{} images, {n_outputs} outputs",
                image[0], image[1], image[2]
            ),
            architecture: Architecture::ResNet { image, depth },
            names,
            params,
            device,
            mode: Mode::Eval,
            output: OutputSelect::Auto,
            chosen_output: std::sync::OnceLock::new(),
            mode_ops: Vec::new(),
            precision: Precision::F64,
        })
    }

    /// Loads a TorchScript module (`torch.jit.save` of a traced or scripted module), converts it to `f64` on
    /// `device` and discovers its parameters with `named_parameters()`.
    ///
    /// # Errors
    /// [`EmpiricalError::Io`] when the file does not exist; [`EmpiricalError::Format`] when libtorch cannot load
    /// it; [`EmpiricalError::InvalidArgument`] when it has no parameters; [`EmpiricalError::CudaUnavailable`].
    pub fn torchscript(
        path: &Path,
        device: DeviceSpec,
        mode: Mode,
    ) -> Result<Self, EmpiricalError> {
        if let Err(e) = std::fs::metadata(path) {
            return Err(EmpiricalError::io(path, &e));
        }
        // A state dict, a pickled module or an export archive is named as such, not "corrupted".
        let mode_ops = crate::model_file::torchscript_mode_ops(path)?;
        let device = device.to_tch()?;
        let mut module = tch::CModule::load_on_device(path, device).map_err(|e| {
            EmpiricalError::format(path, "TorchScript", reason_line(&e.to_string()))
        })?;
        module.to(device, Kind::Double, false);
        let named = module.named_parameters().map_err(torch_err)?;
        if named.is_empty() {
            return Err(EmpiricalError::invalid(
                "model",
                path.display(),
                "a module with at least one parameter",
            ));
        }
        // Parameters saved with requires_grad=False (a frozen backbone) are not variables of the problem: the
        // curvature is over the trainable ones only, as PyTorch's optimizers and curvlinops see it.
        let total: i64 = named.iter().map(|(_, p)| p.numel() as i64).sum();
        let (names, params): (Vec<String>, Vec<Tensor>) =
            named.into_iter().filter(|(_, p)| p.requires_grad()).unzip();
        if params.is_empty() {
            return Err(EmpiricalError::invalid(
                "model",
                path.display(),
                "a module with at least one trainable parameter (all are requires_grad=False)",
            ));
        }
        let trainable: i64 = params.iter().map(|p| p.numel() as i64).sum();
        let description = if trainable < total {
            format!(
                "torchscript {} ({} of {total} parameters frozen, excluded)",
                path.display(),
                total - trainable
            )
        } else {
            format!("torchscript {}", path.display())
        };
        let mut model = Self {
            architecture: Architecture::Script(module),
            names,
            params,
            device,
            mode,
            description,
            output: OutputSelect::Auto,
            chosen_output: std::sync::OnceLock::new(),
            mode_ops,
            precision: Precision::F64,
        };
        model.set_mode(mode);
        Ok(model)
    }

    /// Switches train/eval mode (`module.train()` / `module.eval()`); the MLP has no mode-dependent layer.
    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
        if let Architecture::Script(module) = &mut self.architecture {
            match mode {
                Mode::Train => module.set_train(),
                Mode::Eval => module.set_eval(),
            }
        }
    }

    /// Converts parameters (and a TorchScript module's buffers) to `precision`; inputs and targets follow, and every
    /// product is computed in that type (the flat vectors the estimators see stay `f64`). Converting to `f32` rounds
    /// the parameters; converting back does not restore the lost digits.
    ///
    /// # Errors
    /// [`EmpiricalError::Torch`] when a conversion fails.
    pub fn set_precision(&mut self, precision: Precision) -> Result<(), EmpiricalError> {
        if precision == self.precision {
            return Ok(());
        }
        let kind = kind_of(precision);
        match &mut self.architecture {
            Architecture::Script(module) => {
                module.to(self.device, kind, false);
                // `to` converts in place; take the converted tensors by name, in the original order.
                let mut named: std::collections::HashMap<String, Tensor> = module
                    .named_parameters()
                    .map_err(torch_err)?
                    .into_iter()
                    .collect();
                self.params = self
                    .names
                    .iter()
                    .map(|name| {
                        named.remove(name).ok_or_else(|| {
                            EmpiricalError::Torch(format!(
                                "parameter {name} vanished in the conversion to {kind:?}"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?;
            }
            _ => {
                self.params = self
                    .params
                    .iter()
                    .map(|p| {
                        p.f_detach()
                            .and_then(|t| t.f_to_kind(kind))
                            .map(|t| t.set_requires_grad(true))
                            .map_err(torch_err)
                    })
                    .collect::<Result<_, _>>()?;
            }
        }
        self.precision = precision;
        Ok(())
    }

    /// The dtype of parameters, inputs and products.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Refuses `--mode train` for a TorchScript module that calls batch norm, instance norm or dropout but computes
    /// the same outputs on `data` in train and eval mode: `torch.jit.trace` froze its training flag when it was
    /// traced, so "train mode" would silently be eval-mode curvature. Nothing to check in eval mode, for the
    /// built-in models, or for modules without such layers.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] (`mode`) naming the layers and how to save a module whose mode works;
    /// errors of the forward passes.
    pub fn check_train_mode(&mut self, data: &Dataset) -> Result<(), EmpiricalError> {
        if self.mode != Mode::Train
            || self.mode_ops.is_empty()
            || !matches!(self.architecture, Architecture::Script(_))
        {
            return Ok(());
        }
        let (inputs, _) = self.tensors(data)?;
        let train = tch::no_grad(|| self.forward(&inputs))?;
        self.set_mode(Mode::Eval);
        let eval = tch::no_grad(|| self.forward(&inputs));
        self.set_mode(Mode::Train);
        if train.equal(&eval?) {
            return Err(EmpiricalError::invalid(
                "mode",
                "train",
                format!(
                    "a module whose train mode differs from eval: {} calls {} yet computes the same outputs in \
                     both modes, so it was traced in eval mode (torch.jit.trace freezes the training flag); save it \
                     with torch.jit.script(model) or trace it after model.train(), or use --mode eval",
                    self.description,
                    self.mode_ops.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The device the parameters live on.
    pub fn device(&self) -> Device {
        self.device
    }

    /// A short description (`mlp[4, 5, 3] tanh`, `torchscript model.pt`), with the output taken from a module that
    /// returns several (`torchscript model.pt, output: dict key logits of [features, logits]`).
    pub fn description(&self) -> String {
        match self.chosen_output.get() {
            Some(chosen) => format!("{}, output: {chosen}", self.description),
            None => self.description.clone(),
        }
    }

    /// Which output of a TorchScript module returning a tuple, list or dict is the network's output (`--output`);
    /// the default takes a tensor as is, a tuple's first tensor, a dict's `logits` or its only tensor.
    pub fn with_output(mut self, output: OutputSelect) -> Self {
        self.output = output;
        self
    }

    /// Parameter names in order.
    pub fn parameter_names(&self) -> &[String] {
        &self.names
    }

    /// The parameter tensors in order (leaves that require grad).
    pub fn parameters(&self) -> &[Tensor] {
        &self.params
    }

    /// The shape of each parameter tensor.
    pub fn parameter_shapes(&self) -> Vec<Vec<usize>> {
        self.params
            .iter()
            .map(|p| {
                p.size()
                    .iter()
                    .map(|&d| usize::try_from(d).unwrap_or(0))
                    .collect()
            })
            .collect()
    }

    /// The total number of parameters `P` (the curvature operators' dimension).
    pub fn n_params(&self) -> usize {
        self.params.iter().map(Tensor::numel).sum()
    }

    /// All parameters as one flat vector in order.
    ///
    /// # Errors
    /// [`EmpiricalError::Torch`] if a copy fails.
    pub fn flat_parameters(&self) -> Result<Vec<f64>, EmpiricalError> {
        flatten(&self.params)
    }

    /// Overwrites all parameters from a flat vector in order (e.g. the native backend's weights).
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] for a wrong length; [`EmpiricalError::NonFinite`] for NaN/±∞.
    pub fn set_flat_parameters(&mut self, flat: &[f64]) -> Result<(), EmpiricalError> {
        if flat.len() != self.n_params() {
            return Err(EmpiricalError::invalid(
                "parameters",
                format!("{} values", flat.len()),
                format!("{} values", self.n_params()),
            ));
        }
        if let Some(index) = flat.iter().position(|v| !v.is_finite()) {
            return Err(EmpiricalError::NonFinite {
                what: "parameters",
                index,
            });
        }
        self.copy_flat(flat)
    }

    /// Overwrites all parameters from a flat vector of the right length, finite or not (training records a
    /// non-finite loss as divergence).
    pub(crate) fn copy_flat(&mut self, flat: &[f64]) -> Result<(), EmpiricalError> {
        let pieces = split(flat, &self.params, self.device)?;
        tch::no_grad(|| {
            for (p, src) in self.params.iter_mut().zip(&pieces) {
                p.f_copy_(src).map_err(torch_err)?;
            }
            Ok(())
        })
    }

    /// The network's outputs `[n, d_out]` on a batch of inputs `[n, ...]`.
    ///
    /// # Errors
    /// [`EmpiricalError::Shape`] when the inputs do not fit the model (libtorch's reason on one line).
    pub fn forward(&self, inputs: &Tensor) -> Result<Tensor, EmpiricalError> {
        let shape_err = |e: tch::TchError| {
            let reason = reason_line(&e.to_string());
            if is_dtype_reason(&reason) {
                EmpiricalError::Dtype(format!(
                    "{} inputs do not fit {}: {reason} (parameters and inputs are {}, --dtype; a module that casts \
                     inside forward, such as x.float(), needs --dtype to match the cast, and integer indices for an \
                     embedding are not supported)",
                    self.precision.torch_name(),
                    self.description,
                    self.precision.torch_name(),
                ))
            } else {
                EmpiricalError::Shape(format!(
                    "inputs of shape {:?} do not fit {}: {reason}",
                    inputs.size(),
                    self.description,
                ))
            }
        };
        match &self.architecture {
            Architecture::Mlp { activation } => {
                let n = inputs.size().first().copied().unwrap_or(0);
                let mut h = inputs.f_reshape([n, -1]).map_err(shape_err)?;
                let n_layers = self.params.len() / 2;
                for (layer, wb) in self.params.chunks_exact(2).enumerate() {
                    h = h.f_linear(&wb[0], Some(&wb[1])).map_err(shape_err)?;
                    if layer + 1 < n_layers {
                        h = match activation {
                            Activation::Linear => Ok(h),
                            Activation::Tanh => h.f_tanh(),
                            Activation::Relu => h.f_relu(),
                            Activation::Erf => h.f_erf(),
                            // The exact GELU x·Φ(x), as the native backend and nn.GELU() define it.
                            Activation::Gelu => h.f_gelu("none"),
                        }
                        .map_err(torch_err)?;
                    }
                }
                Ok(h)
            }
            Architecture::Cnn { image, pools } => {
                let mut h = as_images(inputs, image).map_err(shape_err)?;
                let blocks = pools.len();
                for (wb, &pool) in self.params.chunks_exact(2).take(blocks).zip(pools) {
                    h = conv3x3(&h, wb)
                        .map_err(shape_err)?
                        .f_relu()
                        .map_err(torch_err)?;
                    if pool {
                        h = h
                            .f_avg_pool2d([2, 2], [2, 2], [0, 0], false, true, None)
                            .map_err(torch_err)?;
                    }
                }
                let n = h.size()[0];
                let head = &self.params[2 * blocks..];
                h.f_reshape([n, -1])
                    .and_then(|h| h.f_linear(&head[0], Some(&head[1])))
                    .map_err(shape_err)
            }
            Architecture::ResNet { image, depth } => {
                let x = as_images(inputs, image).map_err(shape_err)?;
                let p = &self.params;
                let mut h = conv3x3(&x, &p[0..2])
                    .map_err(shape_err)?
                    .f_relu()
                    .map_err(torch_err)?;
                for block in 0..*depth {
                    let at = 2 + 4 * block;
                    let branch = conv3x3(&h, &p[at..at + 2])
                        .and_then(|t| t.f_relu())
                        .and_then(|t| conv3x3(&t, &p[at + 2..at + 4]))
                        .map_err(torch_err)?;
                    h = (h + branch).f_relu().map_err(torch_err)?;
                }
                let at = 2 + 4 * depth;
                h.f_mean_dim([2i64, 3].as_slice(), false, kind_of(self.precision))
                    .and_then(|h| h.f_linear(&p[at], Some(&p[at + 1])))
                    .map_err(torch_err)
            }
            Architecture::Script(module) => {
                let value = module
                    .forward_is(&[tch::IValue::Tensor(inputs.shallow_clone())])
                    .map_err(shape_err)?;
                let (tensor, chosen) = select_output(value, &self.output)?;
                if let Some(chosen) = chosen {
                    let _ = self.chosen_output.set(chosen);
                }
                Ok(tensor)
            }
        }
    }

    /// The inputs and targets of `data` as tensors on this model's device (`f64` inputs `[n, sample_shape…]`;
    /// `i64 [n]` labels or `f64 [n, d]` targets), after checking the outputs fit the targets.
    ///
    /// # Errors
    /// [`EmpiricalError::Shape`] when the data does not fit the model; [`EmpiricalError::LabelOutOfRange`] for a
    /// label not below the number of outputs; [`EmpiricalError::NonFinite`] when the outputs are not finite.
    pub fn batch(&self, data: &Dataset) -> Result<(Tensor, Tensor), EmpiricalError> {
        let (inputs, targets, _) = self.batch_and_width(data)?;
        Ok((inputs, targets))
    }

    /// As [`TorchModel::batch`], also returning the model's output width `d` on this data.
    ///
    /// # Errors
    /// As [`TorchModel::batch`].
    pub fn batch_and_width(
        &self,
        data: &Dataset,
    ) -> Result<(Tensor, Tensor, usize), EmpiricalError> {
        let (inputs, targets) = self.tensors(data)?;
        let outputs = tch::no_grad(|| self.forward(&inputs))?;
        let width = self.check_outputs(&outputs, data)?;
        Ok((inputs, targets, width))
    }

    /// The inputs and targets of `data` as tensors on this model's device, unchecked against the model.
    pub(crate) fn tensors(&self, data: &Dataset) -> Result<(Tensor, Tensor), EmpiricalError> {
        let mut shape = vec![data.n_samples() as i64];
        shape.extend(data.sample_shape().iter().map(|&d| d as i64));
        let kind = kind_of(self.precision);
        let inputs = Tensor::from_slice(data.inputs())
            .f_reshape(&shape)
            .and_then(|t| t.f_to_kind(kind))
            .and_then(|t| t.f_to_device(self.device))
            .map_err(torch_err)?;
        let targets = match data.targets() {
            Targets::Classes { labels, .. } => {
                // Labels were checked below n_classes, far below i64::MAX, when the data set was built.
                let labels: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
                Tensor::from_slice(&labels).f_to_device(self.device)
            }
            Targets::Values { values, dim } => Tensor::from_slice(values)
                .f_reshape([data.n_samples() as i64, *dim as i64])
                .and_then(|t| t.f_to_kind(kind))
                .and_then(|t| t.f_to_device(self.device)),
        }
        .map_err(torch_err)?;
        Ok((inputs, targets))
    }

    /// Checks the model's `outputs` on `data`: shape `[n, d]`, labels below `d` (or targets of length `d`), all
    /// finite. Returns `d`.
    pub(crate) fn check_outputs(
        &self,
        outputs: &Tensor,
        data: &Dataset,
    ) -> Result<usize, EmpiricalError> {
        let out_shape = outputs.size();
        let [n, d] = out_shape[..] else {
            return Err(EmpiricalError::Shape(format!(
                "{} returns outputs of shape {out_shape:?}; expected [samples, outputs]",
                self.description
            )));
        };
        if usize::try_from(n).ok() != Some(data.n_samples()) {
            return Err(EmpiricalError::Shape(format!(
                "{} returns {n} outputs for {} samples",
                self.description,
                data.n_samples()
            )));
        }
        let width = usize::try_from(d).unwrap_or(0);
        data.check_outputs(width)?;
        let flat_out = flatten(std::slice::from_ref(outputs))?;
        if let Some(index) = flat_out.iter().position(|v| !v.is_finite()) {
            return Err(EmpiricalError::NonFinite {
                what: "model outputs",
                index,
            });
        }
        Ok(width)
    }
}

/// `[C, H, W]` from a data set's sample shape: `[C, H, W]` as is, `[H, W]` as one channel.
fn image_shape(input: &[usize], model: &str) -> Result<[usize; 3], EmpiricalError> {
    match *input {
        [c, h, w] if c > 0 && h > 0 && w > 0 => Ok([c, h, w]),
        [h, w] if h > 0 && w > 0 => Ok([1, h, w]),
        _ => Err(EmpiricalError::Shape(format!(
            "{model} needs image samples of shape [C, H, W] or [H, W]; the data have samples of shape {input:?}"
        ))),
    }
}

/// The batch as `[n, C, H, W]` images (a sample of any shape with `C·H·W` values is accepted).
fn as_images(inputs: &Tensor, image: &[usize; 3]) -> Result<Tensor, tch::TchError> {
    let n = inputs.size().first().copied().unwrap_or(0);
    let per_sample: i64 = inputs.size().iter().skip(1).product();
    let expected = (image[0] * image[1] * image[2]) as i64;
    if per_sample != expected {
        return Err(tch::TchError::Shape(format!(
            "samples of {per_sample} values, the model expects {}x{}x{} = {expected}",
            image[0], image[1], image[2]
        )));
    }
    inputs.f_reshape([n, image[0] as i64, image[1] as i64, image[2] as i64])
}

/// `Conv2d(·, ·, 3, padding=1)` with `wb = [weight, bias]`.
fn conv3x3(h: &Tensor, wb: &[Tensor]) -> Result<Tensor, tch::TchError> {
    h.f_conv2d(&wb[0], Some(&wb[1]), [1, 1], [1, 1], [1, 1], 1)
}

/// Parameters drawn as PyTorch's default initialization of `nn.Linear`/`nn.Conv2d` does, in parameter order:
/// weight then bias of each layer, each `U(−1/√fan_in, 1/√fan_in)` with `fan_in` = the product of the weight's
/// trailing dimensions, row-major, from one [`rng::seeded`] stream.
struct Init {
    rng: rng::Rng,
    device: Device,
    names: Vec<String>,
    params: Vec<Tensor>,
}

impl Init {
    fn new(seed: u64, device: Device) -> Self {
        Self {
            rng: rng::seeded(seed),
            device,
            names: Vec::new(),
            params: Vec::new(),
        }
    }

    /// Adds `{prefix}.weight` of `shape` (`[out, fan_in…]`) and `{prefix}.bias` of `[out]`.
    fn layer(&mut self, prefix: &str, shape: &[usize]) -> Result<(), EmpiricalError> {
        let fan_out = shape[0];
        let fan_in: usize = shape[1..].iter().product();
        let bound = 1.0 / (fan_in as f64).sqrt();
        let uniform = Uniform::new_inclusive(-bound, bound)
            .map_err(|e| EmpiricalError::invalid("fan_in", fan_in, e.to_string()))?;
        let weight: Vec<f64> = (0..fan_out * fan_in)
            .map(|_| uniform.sample(&mut self.rng))
            .collect();
        let bias: Vec<f64> = (0..fan_out)
            .map(|_| uniform.sample(&mut self.rng))
            .collect();
        self.params.push(leaf(&weight, shape, self.device)?);
        self.params.push(leaf(&bias, &[fan_out], self.device)?);
        self.names.push(format!("{prefix}.weight"));
        self.names.push(format!("{prefix}.bias"));
        Ok(())
    }

    fn finish(self) -> (Vec<String>, Vec<Tensor>) {
        (self.names, self.params)
    }
}

/// A leaf `f64` tensor of `shape` on `device` that requires grad.
fn leaf(values: &[f64], shape: &[usize], device: Device) -> Result<Tensor, EmpiricalError> {
    let shape: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    let t = Tensor::from_slice(values)
        .f_reshape(&shape)
        .and_then(|t| t.f_to_device(device))
        .map_err(torch_err)?;
    Ok(t.set_requires_grad(true))
}

/// Concatenates tensors into one flat `f64` vector on the CPU; undefined tensors (unreached by autograd) count as
/// zeros of the matching parameter's size, which the caller supplies through `like`.
pub(crate) fn flatten(tensors: &[Tensor]) -> Result<Vec<f64>, EmpiricalError> {
    let mut out = Vec::new();
    for t in tensors {
        let flat = t
            .f_detach()
            .and_then(|t| t.f_to_kind(Kind::Double))
            .and_then(|t| t.f_to_device(Device::Cpu))
            .and_then(|t| t.f_reshape([-1]))
            .map_err(torch_err)?;
        let values = Vec::<f64>::try_from(&flat).map_err(torch_err)?;
        out.extend(values);
    }
    Ok(out)
}

/// Whether libtorch's reason for a failed forward pass is about dtypes rather than shapes ("mat1 and mat2 must
/// have the same dtype, but got Float and Double", "expected scalar type Float but found Double", "Expected tensor
/// for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.DoubleTensor").
fn is_dtype_reason(reason: &str) -> bool {
    let lower = reason.to_ascii_lowercase();
    ["dtype", "scalar type", "doubletensor", "floattensor"]
        .iter()
        .any(|marker| lower.contains(marker))
}

/// The libtorch dtype of a precision.
pub(crate) fn kind_of(precision: Precision) -> Kind {
    match precision {
        Precision::F32 => Kind::Float,
        Precision::F64 => Kind::Double,
    }
}

/// Splits a flat vector into tensors shaped and typed like `like`, on `device`.
pub(crate) fn split(
    flat: &[f64],
    like: &[Tensor],
    device: Device,
) -> Result<Vec<Tensor>, EmpiricalError> {
    let mut offset = 0;
    let mut out = Vec::with_capacity(like.len());
    for p in like {
        let len = p.numel();
        let piece = flat.get(offset..offset + len).ok_or_else(|| {
            EmpiricalError::invalid(
                "vector",
                format!("{} values", flat.len()),
                "one value per parameter",
            )
        })?;
        offset += len;
        out.push(
            Tensor::from_slice(piece)
                .f_reshape(p.size())
                .and_then(|t| t.f_to_kind(p.kind()))
                .and_then(|t| t.f_to_device(device))
                .map_err(torch_err)?,
        );
    }
    Ok(out)
}

/// The network's output among what a TorchScript module's `forward` returned, and a note of the choice when there
/// was one to make (`None` for a plain tensor).
fn select_output(
    value: tch::IValue,
    select: &OutputSelect,
) -> Result<(Tensor, Option<String>), EmpiricalError> {
    use tch::IValue;
    let kind = |v: &IValue| match v {
        IValue::Tensor(_) => "tensor",
        IValue::Tuple(_) => "tuple",
        IValue::GenericList(_) | IValue::TensorList(_) => "list",
        IValue::GenericDict(_) => "dict",
        _ => "non-tensor value",
    };
    let key_name = |k: &IValue| match k {
        IValue::String(s) => s.clone(),
        IValue::Int(i) => i.to_string(),
        other => format!("<{}>", kind(other)),
    };
    match value {
        IValue::Tensor(t) => match select {
            OutputSelect::Auto | OutputSelect::Index(0) => Ok((t, None)),
            other => Err(EmpiricalError::invalid(
                "output",
                other,
                "auto: the module returns a single tensor",
            )),
        },
        IValue::Tuple(items) | IValue::GenericList(items) => {
            let n = items.len();
            let what = if n > 0 {
                "tuple/list"
            } else {
                "empty tuple/list"
            };
            let index = match select {
                OutputSelect::Index(i) => *i,
                OutputSelect::Auto => items
                    .iter()
                    .position(|v| matches!(v, IValue::Tensor(_)))
                    .ok_or_else(|| {
                        EmpiricalError::Shape(format!(
                            "forward returned a {what} of {n} with no tensor in it"
                        ))
                    })?,
                OutputSelect::Key(k) => {
                    return Err(EmpiricalError::invalid(
                        "output",
                        k,
                        format!("an index below {n}: the module returns a tuple/list"),
                    ));
                }
            };
            match items.into_iter().nth(index) {
                Some(IValue::Tensor(t)) => {
                    Ok((t, Some(format!("element {index} of a tuple/list of {n}"))))
                }
                Some(other) => Err(EmpiricalError::invalid(
                    "output",
                    index,
                    format!(
                        "an element that is a tensor (element {index} is a {})",
                        kind(&other)
                    ),
                )),
                None => Err(EmpiricalError::invalid(
                    "output",
                    index,
                    format!("an index below {n}: the module returns a tuple/list of {n}"),
                )),
            }
        }
        IValue::TensorList(items) => {
            let n = items.len();
            let index = match select {
                OutputSelect::Auto => 0,
                OutputSelect::Index(i) => *i,
                OutputSelect::Key(k) => {
                    return Err(EmpiricalError::invalid(
                        "output",
                        k,
                        format!("an index below {n}: the module returns a list of tensors"),
                    ));
                }
            };
            let t = items.into_iter().nth(index).ok_or_else(|| {
                EmpiricalError::invalid("output", index, format!("an index below {n}"))
            })?;
            Ok((t, Some(format!("element {index} of a list of {n}"))))
        }
        IValue::GenericDict(pairs) => {
            let keys: Vec<String> = pairs.iter().map(|(k, _)| key_name(k)).collect();
            let listing = keys.join(", ");
            let position = match select {
                OutputSelect::Key(key) => keys.iter().position(|k| k == key).ok_or_else(|| {
                    EmpiricalError::invalid(
                        "output",
                        key,
                        format!("one of the dict's keys: {listing}"),
                    )
                })?,
                OutputSelect::Auto => {
                    let tensors: Vec<usize> = pairs
                        .iter()
                        .enumerate()
                        .filter(|(_, (_, v))| matches!(v, IValue::Tensor(_)))
                        .map(|(i, _)| i)
                        .collect();
                    match keys.iter().position(|k| k == "logits") {
                        Some(i) => i,
                        None if tensors.len() == 1 => tensors[0],
                        None => {
                            return Err(EmpiricalError::invalid(
                                "output",
                                "auto",
                                format!(
                                    "a key (--output KEY): the module returns a dict with keys {listing}"
                                ),
                            ));
                        }
                    }
                }
                OutputSelect::Index(i) => {
                    return Err(EmpiricalError::invalid(
                        "output",
                        i,
                        format!("a key: the module returns a dict with keys {listing}"),
                    ));
                }
            };
            let key = keys[position].clone();
            match pairs.into_iter().nth(position).map(|(_, v)| v) {
                Some(IValue::Tensor(t)) => Ok((t, Some(format!("dict key {key} of [{listing}]")))),
                Some(other) => Err(EmpiricalError::invalid(
                    "output",
                    &key,
                    format!("a key whose value is a tensor (it is a {})", kind(&other)),
                )),
                None => Err(EmpiricalError::invalid("output", &key, "a key of the dict")),
            }
        }
        other => Err(EmpiricalError::Shape(format!(
            "forward returned a {}, not a tensor, tuple, list or dict of tensors",
            kind(&other)
        ))),
    }
}
