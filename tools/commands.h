/* The clmlp subcommands.  Each takes its own argc/argv (argv[0] is the
 * subcommand's name), parses its options and returns the process exit
 * status: 0 done, 1 runtime error (files, data, device), 2 usage error. */
#ifndef CLMLP_COMMANDS_H
#define CLMLP_COMMANDS_H

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_forward(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_gradcheck(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_plot(int argc, char **argv);

#endif
