"""StyleGAN-NADA's reference code on the reduced fixture models, run on the CPU.

Needs a venv with torch==2.13.0 (the CPU wheel), numpy, ftfy, regex and safetensors, and the
reference repositories unpacked (git archive of rinongal/StyleGAN-nada's ZSSGAN/ and of
openai/CLIP's clip/ into one folder, NADA_SRC). Subcommands:

  topk-ties            torch.topk's order on ties (CPU kernel), the table TorchTopK is tested on
  selection            determine_opt_layers on in.readme.iter0 of fixtures/nada, with w0 copied
                       (as on CUDA) and shared (as on the CPU)
  check-load FILE.pt   torch.load + load_state_dict(strict=True) of a cfclip train-nada output
                       into the reference generator (the fixture's reduced channels)
"""
import importlib.util, json, os, sys, types

import torch
import torch.nn.functional as F
import torch.utils.cpp_extension as ce

ce.load = lambda *a, **k: None   # the op package compiles CUDA code on import otherwise; the CPU paths are pure torch
SRC = os.environ.get('NADA_SRC', '/tmp/nada')
FX = os.environ.get('FIXTURES', os.path.join(os.path.dirname(__file__), '../../../shared/fixtures')) + '/'
sys.path.insert(0, os.path.join(SRC, 'ZSSGAN'))


def module(name, path, patch=None):
    src = open(path).read()
    if patch: src = patch(src)
    m = types.ModuleType(name)
    m.__dict__['CHANNELS'] = None
    exec(compile(src, path, 'exec'), m.__dict__)
    return m


# the fixture generator has its own channel widths: the reference class with its table replaced
sg2 = module('sg2', os.path.join(SRC, 'ZSSGAN/model/sg2_model.py'),
             lambda s: s.replace("self.channels = {", "self.channels = CHANNELS if CHANNELS else {", 1))
G = json.load(open(FX + 'stylegan2/config.json'))
sg2.CHANNELS = {int(k): v for k, v in G['channels'].items()}


def generator(path=FX + 'stylegan2/checkpoint.pt', key='g_ema'):
    g = sg2.Generator(G['size'], G['style_dim'], G['n_mlp'], lr_mlp=G['lr_mlp'])
    g.load_state_dict(torch.load(path, map_location='cpu')[key], strict=True)
    return g


def clip_model(path, c):
    cm = module('clipmodel', os.path.join(SRC, 'clip/model.py'))
    # its LayerNorm casts to float32 (for fp16 weights); plain LayerNorm lets a float64 run stay float64
    cm.LayerNorm.forward = lambda self, x: torch.nn.LayerNorm.forward(self, x)
    m = cm.CLIP(c['embed_dim'], 224, c['vision_layers'], c['vision_width'], c['vision_patch_size'], 77, 49408,
                c['transformer_width'], c['transformer_heads'], c['transformer_layers'])
    m.visual = cm.VisionTransformer(224, c['vision_patch_size'], c['vision_width'], c['vision_layers'], c['vision_heads'], c['embed_dim'])
    m.load_state_dict(torch.load(path, map_location='cpu'), strict=True)
    return m.float().eval()


MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)


def preprocess(x):   # NADA's transforms as torchvision < 0.17 computed them
    x = F.interpolate((x + 1) / 2, size=(224, 224), mode='bicubic', align_corners=False, antialias=False)
    return (x - MEAN) / STD


def tokenize(text):
    spec = importlib.util.spec_from_file_location('stok', os.path.join(SRC, 'clip/simple_tokenizer.py'))
    st = importlib.util.module_from_spec(spec); spec.loader.exec_module(st)
    tok = st.SimpleTokenizer()
    ids = [tok.encoder['<|startoftext|>']] + tok.encode(text) + [tok.encoder['<|endoftext|>']]
    out = torch.zeros(1, 77, dtype=torch.long); out[0, :len(ids)] = torch.tensor(ids)
    return out


def topk_ties():
    table = {'zeros': {}, 'values': []}
    for n in range(1, 26):
        table['zeros'][str(n)] = [torch.topk(torch.zeros(n), k)[1].tolist() for k in range(1, n + 1)]
    g = torch.Generator().manual_seed(0)
    for n in (10, 12, 18, 40, 130):
        v = torch.randint(0, 4, (n,), generator=g).float()   # many ties among a few distinct values
        table['values'].append({'values': v.tolist(), 'k': [torch.topk(v, k)[1].tolist() for k in (1, 2, n // 2, n)]})
    print(json.dumps(table))


def selection():
    from safetensors.torch import load_file
    cases = load_file(FX + 'nada/cases.safetensors')
    nada = json.load(open(FX + 'nada/config.json'))
    clips = [clip_model(FX + 'clip/checkpoint.pt', json.load(open(FX + 'clip/config.json'))), clip_model(FX + 'nada/clip_b16.pt', nada['clip_b16'])]
    key = 'in.readme.iter0'
    out = {}
    for mode in ('separate', 'shared', 'separate_float64'):
        dtype = torch.float64 if mode.endswith('float64') else torch.float32
        frozen, trainable = generator().to(dtype), generator().to(dtype)
        for m in clips: m.to(dtype)
        global MEAN, STD
        MEAN, STD = MEAN.to(dtype), STD.to(dtype)
        w0 = frozen.style(cases[key + '.auto_z'].to(dtype)).unsqueeze(1).repeat(1, frozen.n_latent, 1)
        # the reference's line; on the CPU torch.Tensor(numpy) shares w0's storage
        w = torch.Tensor(w0.detach().numpy()) if mode == 'shared' else w0.detach().clone()
        w.requires_grad = True
        opt = torch.optim.SGD([w], lr=0.01)
        noise = [cases[f'{key}.auto_noise.{k}'].to(dtype) for k in range(frozen.num_layers)]
        img = trainable(w.unsqueeze(0), input_is_latent=True, noise=noise)[0]
        loss = sum((1. - m(preprocess(img), tokenize(nada['args']['target_class']))[0] / 100).mean() for m in clips)
        opt.zero_grad(); loss.backward(); opt.step()
        weights = torch.abs(w - w0).mean(dim=-1).mean(dim=0)
        out[mode] = {'layer_weights': weights.tolist(), 'chosen': torch.topk(weights, frozen.n_latent)[1].tolist()}
    a, b = out['separate']['layer_weights'], out['separate_float64']['layer_weights']
    out['float32_vs_float64_max_rel'] = max(abs(x - y) / abs(y) for x, y in zip(a, b))
    print(json.dumps(out))


def check_load(path):
    ckpt = torch.load(path, map_location='cpu')   # weights_only=True: the default of torch >= 2.6
    g = sg2.Generator(G['size'], G['style_dim'], G['n_mlp'], lr_mlp=G['lr_mlp'])
    missing = g.load_state_dict(ckpt['g_ema'], strict=True)
    img, _ = g([torch.zeros(1, G['style_dim'])])
    print(json.dumps({'keys': sorted(ckpt.keys()), 'g_ema_tensors': len(ckpt['g_ema']), 'strict': str(missing),
                      'latent_avg': list(ckpt['latent_avg'].shape) if 'latent_avg' in ckpt else None,
                      'image': list(img.shape), 'finite': bool(torch.isfinite(img).all())}))


if __name__ == '__main__':
    cmd = sys.argv[1] if len(sys.argv) > 1 else ''
    if cmd == 'topk-ties': topk_ties()
    elif cmd == 'selection': selection()
    elif cmd == 'check-load': check_load(sys.argv[2])
    else: print(__doc__); sys.exit(2)
