using System.Collections.Generic;
using System.Linq;

namespace PruneSharp.DeviceCheck;

/// <summary>One row of a result table: its cells, and how many mask comparisons it stands for and how many differed.</summary>
internal sealed record CheckRow(IReadOnlyList<string> Cells, int Compared, int Mismatched);

/// <summary>A table of results: a title, column headers and rows.</summary>
internal sealed record CheckTable(string Title, IReadOnlyList<string> Headers, IReadOnlyList<CheckRow> Rows)
{
    public int Compared => Rows.Sum(row => row.Compared);

    public int Mismatched => Rows.Sum(row => row.Mismatched);
}

/// <summary>Everything one run of the check found.</summary>
internal sealed record CheckReport(IReadOnlyList<CheckTable> Tables, IReadOnlyList<string> Mismatches, CheckTable? Timings)
{
    public int Compared => Tables.Sum(table => table.Compared);

    public int Mismatched => Tables.Sum(table => table.Mismatched);
}

/// <summary>Counts the comparisons of one row: masks compared, masks that differed, and the fraction of weights pruned.</summary>
internal sealed class RowTally
{
    private double _prunedFractionSum;

    public int Compared { get; private set; }

    public int Mismatched { get; private set; }

    public double MeanPrunedFraction => Compared == 0 ? 0 : _prunedFractionSum / Compared;

    public void Add(bool identical, double prunedFraction)
    {
        Compared++;
        if (!identical) Mismatched++;
        _prunedFractionSum += prunedFraction;
    }

    public string Identical => $"{Compared - Mismatched} / {Compared}";
}
