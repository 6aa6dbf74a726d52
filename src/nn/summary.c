/* A Keras-like summary of a model: each layer with its output shape and
 * parameter count, the totals, and the class names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/class_names.h"
#include "nn/model.h"

void clmlp_model_summary(const clmlp_model_t *m, FILE *f)
{
    if (!m || !f) return;
    /* The name column is as wide as its widest entry (a Dense layer
     * without bias names itself at length), so the columns line up. */
    char(*names)[128] = calloc(m->n_layers + 1, sizeof *names);
    if (!names) return;
    int w = (int)strlen("Layer (type)");
    snprintf(names[0], sizeof names[0], "input (InputLayer)");
    for (size_t i = 0; i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        char desc[64];
        l->vt->describe(l, desc, sizeof desc);
        snprintf(names[i + 1], sizeof names[i + 1], "%s_%zu (%s)", clmlp_layer_name(l), i + 1,
                 desc);
    }
    for (size_t i = 0; i <= m->n_layers; i++)
        if ((int)strlen(names[i]) > w) w = (int)strlen(names[i]);
    int width = 1 + w + 1 + 16 + 1 + 10;
    if (width < 65) width = 65, w = 65 - 29;
    char rule[200], rule2[200];
    memset(rule, '_', (size_t)width);
    rule[width] = '\0';
    memset(rule2, '=', (size_t)width);
    rule2[width] = '\0';
    fprintf(f, "Model: \"sequential\"\n%s\n", rule);
    fprintf(f, " %-*s %-16s %10s\n", w, "Layer (type)", "Output Shape", "Param #");
    fprintf(f, "%s\n", rule2);
    char shape[32];
    snprintf(shape, sizeof shape, "(None, %zu)", m->n_inputs);
    fprintf(f, " %-*s %-16s %10s\n", w, names[0], shape, "0");
    for (size_t i = 0; i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        snprintf(shape, sizeof shape, "(None, %zu)", l->out);
        fprintf(f, " %-*s %-16s %10zu\n", w, names[i + 1], shape, clmlp_layer_params(l));
    }
    free(names);
    fprintf(f, "%s\n", rule2);
    fprintf(f, "Total params: %zu (%.2f KB)\n", m->n_params, m->n_params * 4.0 / 1024.0);
    fprintf(f, "Trainable params: %zu\nNon-trainable params: 0\n", m->n_params);
    for (size_t i = 0; i < m->n_layers; i++) {
        clmlp_layer_info info;
        clmlp_layer_info_of(&m->layers[i], &info);
        if (info.ref_in_float)
            fprintf(f,
                    "Note: %s_%zu has float code only; the reference backend runs it in "
                    "float\n",
                    info.kind, i + 1);
    }
    if (m->class_names) {
        char list[1024];
        fprintf(f, "Classes: %s\n",
                clmlp_class_names_list((const char *const *)m->class_names, m->n_class_names, list,
                                       sizeof list));
    }
    if (m->task == CLMLP_TASK_REGRESSION) {
        char list[1024] = "";
        if (m->target_names)
            clmlp_class_names_list((const char *const *)m->target_names, m->n_target_names, list,
                                   sizeof list);
        size_t k = clmlp_model_n_outputs(m);
        fprintf(f, "Task: regression, %zu target%s%s%s\n", k, k == 1 ? "" : "s",
                list[0] ? ": " : "", list);
    }
    if (m->in_mean)
        fprintf(f, "Inputs: standardized (the model keeps each feature's mean and scale)\n");
    if (m->out_mean)
        fprintf(f, "Targets: standardized (predictions are turned back into their units)\n");
    fprintf(f, "%s\n", rule);
}
