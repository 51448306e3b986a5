/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_CONFIG_YAMLDOC_H
#define SRIOV_CONFIG_YAMLDOC_H

/*
 * One YAML document, as every YAML format of ours takes it (host.yaml,
 * sriovd.yaml, the partition intent, the GUID pool): libyaml's document
 * tree, loaded from a buffer that read_file_capped() filled, and the
 * refusals that keep the walkers over it bounded:
 *
 *   - an alias (*name) is refused where it stands: a node reached twice can
 *     repeat a part of the file without end (a list of aliases of a list of
 *     aliases...) or loop (&a [*a] is a list that contains itself);
 *   - a second document (---) is refused: libyaml would read the first and
 *     never look at the rest, errors included;
 *   - a key given twice in one mapping is refused at the second (YAML
 *     forbids it; libyaml keeps both, and the second would overwrite or
 *     merge into the first);
 *   - a syntax error is "path:line:column: invalid YAML: ...".
 */

#include <stddef.h>
#include <yaml.h>

#include <sriov/error.h>

/**
 * yaml_doc_load() - parse @buf (@len bytes) into @doc
 * @path: the file's name in messages ("path:line:column: ...")
 *
 * Return: 0, the caller then frees @doc with yaml_document_delete(); or
 * -EINVAL / -ENOMEM with @err, and @doc is left empty.
 */
int yaml_doc_load(const char *path, const char *buf, size_t len,
		  yaml_document_t *doc, struct sriov_error *err);

#endif
