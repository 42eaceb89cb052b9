/*
 * Promotion scores of promotable groups' copies, from the node attributes
 * their agents set (master-RESOURCE, as Pacemaker's crm_master names them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/gview.h"

#define SCORE_INFINITY 1000000

/* An attribute's value as a score: 0 and the score, or -EINVAL. */
static int parse_score(const char *v, int64_t *ret)
{
    while (*v == ' ')
        v++;
    const char *s = v;
    if (*s == '+' || *s == '-')
        s++;
    if (strcasecmp(s, "INFINITY") == 0) {
        *ret = v[0] == '-' ? -SCORE_INFINITY : SCORE_INFINITY;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v)
        return -EINVAL;
    while (*end == ' ')
        end++;
    if (*end)
        return -EINVAL;
    *ret = x > SCORE_INFINITY ? SCORE_INFINITY : x < -SCORE_INFINITY ? -SCORE_INFINITY : x;
    return 0;
}

int64_t gview_score(const struct gview *gv, size_t g, size_t n)
{
    const struct cfg_group *cg = &gv->cfg->groups[g];
    if (cg->kind != CFG_KIND_PROMOTABLE)
        return POL_NO_SCORE;
    int64_t sum = 0;
    bool any = false;
    for (size_t r = 0; r < cg->n_resources; r++) {
        if (cg->resources[r].role != CFG_ROLE_PROMOTABLE)
            continue;
        char name[160];
        snprintf(name, sizeof(name), "master-%s", cg->resources[r].name);
        const struct db_attr *a = db_attr_get(gv->db, n, name);
        int64_t v;
        if (!a || parse_score(a->value, &v) < 0)
            return POL_NO_SCORE;
        sum += v;
        any = true;
    }
    if (!any)
        return POL_NO_SCORE;
    return sum > SCORE_INFINITY ? SCORE_INFINITY : sum < -SCORE_INFINITY ? -SCORE_INFINITY : sum;
}
