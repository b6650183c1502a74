"""The scoring networks' strongest CPU peer: the reference CLIP ViT-B/32 image tower and IR-SE50,
exported to ONNX and run by onnxruntime, timed against `cfclip-bench clip` / `arcface` on the
same weights, alternately, in one session (issue 18).

Needs a venv with torch==2.13.0 (the CPU wheel on disk), onnx, onnxscript, onnxruntime and
numpy, and the reference code unpacked into one folder, PEER_SRC (default /tmp/peer): openai/CLIP's
clip/ and yingchen001/CF-CLIP's models/facial_recognition/. Subcommands:

  export DIR     seeded random weights in the reference modules: DIR/clip.pt and DIR/irse50.pth
                 (state dicts, as cfclip loads the released files), DIR/clip_visual.onnx and
                 DIR/irse50.onnx (dynamic batch), DIR/check.json (torch's float32 output on a
                 seeded input, to prove both sides run the same network) and DIR/versions.json
  time DIR MODEL BATCH
                 onnxruntime's best time per image over --seconds of repeated calls (the way
                 cfclip-bench measures), on --threads intra-op threads; prints one JSON object
  compare DIR    --rounds alternating runs of cfclip-bench (--bench) and `time`, for CLIP at
                 batch 1 and 8 and IR-SE50 at 1 and 4; prints each round and the medians
"""
import argparse, json, os, subprocess, sys, time

import numpy as np
import torch

SRC = os.environ.get('PEER_SRC', '/tmp/peer')
sys.path.insert(0, SRC)
HERE = os.path.dirname(os.path.abspath(__file__))


def load_file(name, path):
    # clip/__init__ imports PIL and torchvision for its preprocessing; model.py alone needs torch
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, os.path.join(SRC, path))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def clip_model():
    CLIP = load_file('clip_model', 'clip/model.py').CLIP
    # ViT-B/32 as clip.load builds it: embed 512, 12 vision layers of width 768, patch 32, text 512/8/12
    torch.manual_seed(1)
    m = CLIP(512, 224, 12, 768, 32, 77, 49408, 512, 8, 12)
    return m.float().eval()


def irse50():
    from models.facial_recognition.model_irse import Backbone
    torch.manual_seed(2)
    m = Backbone(input_size=112, num_layers=50, drop_ratio=0.6, mode='ir_se').eval()
    # running statistics away from (0, 1), so a BatchNorm folded the wrong way would show
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
    return m


def seeded(shape, seed):
    """Values in [-1, 1] by a closed form cfclip-bench computes the same (its --check input)."""
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    return torch.from_numpy((((i * 7919 + seed * 104729) % 2001) / 1000.0 - 1).astype(np.float32).reshape(shape))


def export(d):
    os.makedirs(d, exist_ok=True)
    import onnx, onnxruntime
    clip, face = clip_model(), irse50()
    torch.save(clip.state_dict(), os.path.join(d, 'clip.pt'))
    torch.save(face.state_dict(), os.path.join(d, 'irse50.pth'))
    batch = torch.export.Dim('batch', min=1, max=64)
    for name, net, size in [('clip_visual', clip.visual, 224), ('irse50', face, 112)]:
        x = seeded((2, 3, size, size), 3)
        torch.onnx.export(net, (x,), os.path.join(d, name + '.onnx'), input_names=['image'], output_names=['embedding'],
                          dynamic_shapes={'x': {0: batch}}, dynamo=True, optimize=True, external_data=False)
    check = {}
    with torch.no_grad():
        for name, net, size in [('clip', clip.visual, 224), ('irse50', face, 112)]:
            check[name] = {'input_seed': 3, 'input_shape': [2, 3, size, size],
                           'output': net(seeded((2, 3, size, size), 3)).numpy().tolist()}
    json.dump(check, open(os.path.join(d, 'check.json'), 'w'))
    versions = {'torch': torch.__version__, 'onnx': onnx.__version__, 'onnxruntime': onnxruntime.__version__,
                'numpy': np.__version__, 'python': sys.version.split()[0]}
    json.dump(versions, open(os.path.join(d, 'versions.json'), 'w'), indent=1)
    print(json.dumps(versions))


def session(d, model, threads):
    import onnxruntime as ort
    o = ort.SessionOptions()
    o.intra_op_num_threads = threads
    o.inter_op_num_threads = 1
    o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(os.path.join(d, {'clip': 'clip_visual', 'irse50': 'irse50'}[model] + '.onnx'), o,
                                providers=['CPUExecutionProvider'])


def best_time(seconds, body):
    body()   # warm-up, as cfclip-bench's bestTime
    best, calls, start = float('inf'), 0, time.perf_counter()
    while calls < 2 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        body()
        best = min(best, time.perf_counter() - t0)
        calls += 1
    return best


def time_model(d, model, batch, threads, seconds):
    s = session(d, model, threads)
    size = 224 if model == 'clip' else 112
    x = seeded((batch, 3, size, size), 4).numpy()
    check = json.load(open(os.path.join(d, 'check.json')))[model]
    got = s.run(None, {'image': seeded(check['input_shape'], check['input_seed']).numpy()})[0]
    err = float(np.abs(got - np.array(check['output'], dtype=np.float32)).max())
    t = best_time(seconds, lambda: s.run(None, {'image': x}))
    return {'ms_per_image': t / batch * 1000, 'max_abs_vs_torch': err}


def ours(bench, d, model, batch, threads, seconds):
    if model == 'clip':
        args = [bench, 'clip', '--weights', os.path.join(d, 'clip.pt'), '--batches', str(batch)]
        key = 'ms_per_image_batch%d' % batch
    else:
        args = [bench, 'arcface', '--weights', os.path.join(d, 'irse50.pth'), '--batches', str(batch)]
        key = 'ms_per_embedding_b%d' % batch
    out = subprocess.run(args + ['--threads', str(threads), '--seconds', str(seconds), '--check', os.path.join(d, 'check.json'), '--json'],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return {'ms_per_image': r[key], 'max_abs_vs_torch': r['max_abs_vs_torch']}


def compare(d, bench, rounds, threads, seconds, models):
    cases = [c for c in [('clip', 1), ('clip', 8), ('irse50', 1), ('irse50', 4)] if c[0] in models]
    rows = {c: {'ours': [], 'onnxruntime': []} for c in cases}
    me = [sys.executable, os.path.abspath(__file__)]
    for r in range(rounds):
        for model, batch in cases:
            # each side in a fresh process, ours first in even rounds and second in odd ones
            sides = ['ours', 'onnxruntime'] if r % 2 == 0 else ['onnxruntime', 'ours']
            for side in sides:
                if side == 'ours':
                    res = ours(bench, d, model, batch, threads, seconds)
                else:
                    out = subprocess.run(me + ['time', d, model, str(batch), '--threads', str(threads), '--seconds', str(seconds)],
                                         check=True, capture_output=True, text=True).stdout
                    res = json.loads(out.strip().splitlines()[-1])
                rows[(model, batch)][side].append(res)
            o, p = rows[(model, batch)]['ours'][-1], rows[(model, batch)]['onnxruntime'][-1]
            print('round %d  %-6s batch %d  ours %7.2f ms  onnxruntime %7.2f ms  ratio %.3f  (max |out - torch|: ours %.1e, ort %.1e)'
                  % (r + 1, model, batch, o['ms_per_image'], p['ms_per_image'], o['ms_per_image'] / p['ms_per_image'],
                     o['max_abs_vs_torch'], p['max_abs_vs_torch']), flush=True)
    summary = {}
    print('medians of %d alternating rounds, %d threads:' % (rounds, threads))
    for (model, batch), v in rows.items():
        mo = float(np.median([x['ms_per_image'] for x in v['ours']]))
        mp = float(np.median([x['ms_per_image'] for x in v['onnxruntime']]))
        ratios = [a['ms_per_image'] / b['ms_per_image'] for a, b in zip(v['ours'], v['onnxruntime'])]
        summary['%s_b%d' % (model, batch)] = {'ours_ms': mo, 'onnxruntime_ms': mp, 'median_ratio': float(np.median(ratios))}
        print('  %-6s batch %d  ours %7.2f ms  onnxruntime %7.2f ms  median of ratios %.3f' % (model, batch, mo, mp, np.median(ratios)))
    print(json.dumps({'versions': json.load(open(os.path.join(d, 'versions.json'))), 'summary': summary}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    e = sub.add_parser('export'); e.add_argument('dir')
    t = sub.add_parser('time'); t.add_argument('dir'); t.add_argument('model', choices=['clip', 'irse50']); t.add_argument('batch', type=int)
    c = sub.add_parser('compare'); c.add_argument('dir')
    c.add_argument('--bench', default=os.path.join(HERE, '../../.build/release/cfclip-bench'))
    c.add_argument('--rounds', type=int, default=5)
    c.add_argument('--models', default='clip,irse50', help='comma separated: clip, irse50')
    for q in (t, c):
        q.add_argument('--threads', type=int, default=2)
        q.add_argument('--seconds', type=float, default=3)
    a = p.parse_args()
    torch.set_num_threads(a.threads if hasattr(a, 'threads') else 2)
    if a.cmd == 'export':
        export(a.dir)
    elif a.cmd == 'time':
        print(json.dumps(time_model(a.dir, a.model, a.batch, a.threads, a.seconds)))
    else:
        compare(a.dir, a.bench, a.rounds, a.threads, a.seconds, a.models.split(','))


if __name__ == '__main__':
    main()
