using Weave.Router.Cli;

return await CommandLine.RunAsync(args).ConfigureAwait(false);
