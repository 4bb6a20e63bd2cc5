// A small Transformer encoder text classifier, written as TorchSharp users write one by hand: token and position
// embeddings, a ModuleList of encoder blocks (self-attention with its four projections in a block class, a
// feed-forward Sequential, pre-norm residuals), mean pooling and a linear classifier. Every Linear sits in a nested module.
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.RealModels;

public sealed class MultiHeadSelfAttention : Module<Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear output;
    private readonly long heads;

    public MultiHeadSelfAttention(long modelSize, long heads)
        : base(nameof(MultiHeadSelfAttention))
    {
        query = Linear(modelSize, modelSize);
        key = Linear(modelSize, modelSize);
        value = Linear(modelSize, modelSize);
        output = Linear(modelSize, modelSize);
        this.heads = heads;
        RegisterComponents();
    }

    /// <summary>[batch, sequence, model] → the same shape.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long batch = x.size(0), length = x.size(1), size = x.size(2), headSize = size / heads;
        Tensor Split(Tensor t) => t.view(batch, length, heads, headSize).transpose(1, 2);
        var q = Split(query.forward(x));
        var k = Split(key.forward(x));
        var v = Split(value.forward(x));
        var attention = functional.softmax(q.matmul(k.transpose(-2, -1)).div(Math.Sqrt(headSize)), -1);
        var mixed = attention.matmul(v).transpose(1, 2).reshape(batch, length, size);
        return output.forward(mixed).MoveToOuterDisposeScope();
    }
}

public sealed class EncoderBlock : Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly MultiHeadSelfAttention attention;
    private readonly LayerNorm norm2;
    private readonly Module<Tensor, Tensor> feed_forward;

    public EncoderBlock(long modelSize, long heads, long hiddenSize, double dropout = 0.1)
        : base(nameof(EncoderBlock))
    {
        norm1 = LayerNorm(modelSize);
        attention = new MultiHeadSelfAttention(modelSize, heads);
        norm2 = LayerNorm(modelSize);
        feed_forward = Sequential(
            ("linear1", Linear(modelSize, hiddenSize)),
            ("activation", GELU()),
            ("dropout", Dropout(dropout)),
            ("linear2", Linear(hiddenSize, modelSize)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = x + attention.forward(norm1.forward(x));
        return (x + feed_forward.forward(norm2.forward(x))).MoveToOuterDisposeScope();
    }
}

public sealed class TransformerClassifier : Module<Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly Embedding position;
    private readonly ModuleList<EncoderBlock> layers;
    private readonly LayerNorm norm;
    private readonly Linear classifier;

    public TransformerClassifier(long vocabulary, long numClasses, long modelSize = 32, long heads = 4, long hiddenSize = 64, int depth = 2, long maxLength = 64)
        : base(nameof(TransformerClassifier))
    {
        embedding = Embedding(vocabulary, modelSize);
        position = Embedding(maxLength, modelSize);
        layers = ModuleList(Enumerable.Range(0, depth).Select(_ => new EncoderBlock(modelSize, heads, hiddenSize)).ToArray());
        norm = LayerNorm(modelSize);
        classifier = Linear(modelSize, numClasses);
        RegisterComponents();
    }

    /// <summary>Token ids [batch, sequence] → class scores [batch, classes].</summary>
    public override Tensor forward(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var positions = arange(tokens.size(1), device: tokens.device).unsqueeze(0);
        var x = embedding.forward(tokens) + position.forward(positions);
        foreach (var block in layers) x = block.forward(x);
        return classifier.forward(norm.forward(x).mean([1])).MoveToOuterDisposeScope();
    }
}
