"""The course's benchmarks, a maintainer's tool apart from the student package ``helpers``.

    python -m benchmarks [--runs 3] [--tiny] [--out DIR] [--table A.json B.json]

How fast the course trains and predicts on this machine, measured side by
side with the seed's own ``ImageDataGenerator`` pipeline and with the hardware's limit.

One run measures, on one machine:

1. epoch time and images per second of the seed's model at batch size 32 fed three ways: the seed's
   ``ImageDataGenerator`` pipeline with the seed's ``compile``; the course's ``tf.data`` pipeline with the
   seed's ``compile``; and the course as it trains (``tf.data`` + ``compile_reference``, which runs 50
   batches per call);
2. the wall time of ``python -m helpers train`` (20 epochs, the course's defaults), the whole process;
3. one-image prediction latency (``predict_one``, a direct ``model(x)`` call, ``model.predict``) and the
   throughput of batched prediction;
4. the peak memory (RSS) of that training process;
5. the FLOP/s training achieves (FLOPs per image counted from the model's layers) against a large
   float32 matrix multiply on the same machine.

Every measurement runs in a fresh Python process (a *worker*, ``python -m benchmarks --worker ...``),
so one cannot warm up or slow down the next, and the pipelines take turns.  Epoch times are the median
of the epochs after the first (which also traces the model) of every run; each figure is the median over
``--runs`` runs (peak memory: the highest; latency: the median of ``--calls`` calls), and the script
prints how many.  Every target is judged on every run, and the report says in how many runs it was
met.  A run records what made it: the commit, the date, the command line, the machine and the library
versions.  It writes ``<label>-<date>.json`` and ``.md`` to ``benchmarks/runs/`` (not in git), or
``<label>.json`` and ``.md`` to ``--out DIR``; an existing results file is never overwritten, so raw
results stay as measured (notes go in a separate ``<label>.notes.md``).  ``--table A.json B.json``
prints one table comparing machines.  Extras: ``--batch-sizes`` times the
course pipeline at larger batches, ``--ablation`` with one setting changed at a time.

Targets are stated for a 2-core CPU on which the seed's pipeline takes 2.4 s per epoch
(``REFERENCE_SEED_EPOCH_S``); times are also given scaled to that machine.  With ``KERAS_BACKEND=jax``
(a GPU machine without TensorFlow) the same model is fed numpy arrays through Keras's own batching, and
the ``ImageDataGenerator`` and ``tf.data`` rows are left out.

Modules, one concern each: ``flops`` (FLOPs per image, from the layers), ``workers`` (the measurements,
each in a fresh process), ``runner`` (runs the workers, judges the targets), ``report`` (Markdown, the
comparison table, reading and writing results), ``cli`` (the command line).  ``holdout.py`` and
``spread.py`` are standalone scripts (``python benchmarks/holdout.py``).
"""
