//! Input security groups (the seed's wiring): one per push input, admitting the flow's egress
//! IP. They have no idempotency token, so a create first looks for the group an interrupted run
//! made (by the destination's tag), and a delete leaves a group another input still uses.

use super::{StepCtx, StepResult, at};
use crate::cloud::{CloudError, CreateInputSecurityGroupRequest, ErrorKind, InputSecurityGroup};
use crate::domain::DestinationId;
use crate::domain::naming::{TAG_DESTINATION_ID, tags};
use crate::engine::{Engine, Level};
use std::sync::atomic::{AtomicBool, Ordering};

fn tagged_for(group: &InputSecurityGroup, id: &DestinationId) -> bool {
    group.tags.get(TAG_DESTINATION_ID) == Some(&id.to_string())
}

impl Engine {
    /// The security group for a new push input: the one the record names, else one carrying the
    /// destination's tag (made by a run that died before writing it down), else a new one.
    pub(crate) async fn ensure_security_group(
        &self,
        id: DestinationId,
        step: &str,
    ) -> StepResult<String> {
        let ml = &self.inner.cloud.medialive;
        let groups = self
            .call(id, || ml.list_input_security_groups())
            .await
            .map_err(at(step))?;
        let named = self.record(id).and_then(|r| r.input_security_group_id);
        if let Some(group) = named
            .as_deref()
            .and_then(|g| groups.iter().find(|x| x.id == g))
            .or_else(|| groups.iter().find(|g| tagged_for(g, &id)))
        {
            let group_id = group.id.clone();
            if named.as_deref() != Some(group_id.as_str()) {
                self.modify(id, |r| r.input_security_group_id = Some(group_id.clone()))
                    .await
                    .map_err(at(step))?;
            }
            return Ok(group_id);
        }

        let flow = self.flow(id, step).await?;
        let egress = flow.egress_ip.ok_or_else(|| {
            at(step)(CloudError::new(
                "DescribeFlow",
                ErrorKind::Validation,
                format!(
                    "flow {} reports no egress IP, which an input security group must admit",
                    flow.name
                ),
            ))
        })?;
        let request = CreateInputSecurityGroupRequest {
            allowed_cidrs: vec![format!("{egress}/32")],
            tags: tags(&self.inner.config.table, &id).into_iter().collect(),
        };
        // No idempotency token: a retry first looks for the group a lost answer hid.
        let retry = AtomicBool::new(false);
        let group = self
            .call(id, || async {
                if retry.swap(true, Ordering::Relaxed)
                    && let Some(made) = ml
                        .list_input_security_groups()
                        .await?
                        .into_iter()
                        .find(|g| tagged_for(g, &id))
                {
                    return Ok(made);
                }
                ml.create_input_security_group(request.clone()).await
            })
            .await
            .map_err(at(step))?;
        let group_id = group.id.clone();
        self.modify(id, |r| r.input_security_group_id = Some(group_id.clone()))
            .await
            .map_err(|e| {
                self.remember(id, |r| r.input_security_group_id = Some(group_id.clone()));
                at(step)(e)
            })?;
        Ok(group.id)
    }

    /// The record's group (and any still carrying the destination's tag), once its input is
    /// DELETED: AWS refuses to delete a group an input uses.
    pub(super) async fn delete_security_group_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let groups: Vec<String> = self
            .record(ctx.id)
            .and_then(|r| r.input_security_group_id)
            .into_iter()
            .collect();
        self.delete_security_groups(ctx.id, groups, &ctx.label)
            .await
    }

    /// Deletes the security groups of a deleted push input (and any still carrying this
    /// destination's tag). A group another input still uses is left, with a warning: the seed
    /// may have shared one between inputs.
    pub(crate) async fn delete_security_groups(
        &self,
        id: DestinationId,
        mut group_ids: Vec<String>,
        step: &str,
    ) -> StepResult {
        let ml = &self.inner.cloud.medialive;
        let groups = self
            .call(id, || ml.list_input_security_groups())
            .await
            .map_err(at(step))?;
        group_ids.extend(
            groups
                .iter()
                .filter(|g| tagged_for(g, &id))
                .map(|g| g.id.clone()),
        );
        group_ids.sort();
        group_ids.dedup();
        for group_id in group_ids {
            let Some(group) = groups.iter().find(|g| g.id == group_id) else {
                continue;
            };
            if !group.inputs.is_empty() {
                self.log(
                    Level::Warn,
                    Some(id),
                    format!(
                        "input security group {group_id} is left in place: inputs {} use it",
                        group.inputs.join(", ")
                    ),
                );
                continue;
            }
            match self
                .call(id, || ml.delete_input_security_group(&group_id))
                .await
            {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(at(step)(e)),
            }
        }
        if self
            .record(id)
            .is_some_and(|r| r.input_security_group_id.is_some())
        {
            self.modify(id, |r| r.input_security_group_id = None)
                .await
                .map_err(at(step))?;
        }
        Ok(())
    }
}
