using System;
using PruneSharp.DeviceCheck;
using Spectre.Console;

// A log or a pipe (the GPU machine's output) has no width of its own: wide enough for the widest table.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 180;
return DeviceCheckApp.Run(args, AnsiConsole.Console);
