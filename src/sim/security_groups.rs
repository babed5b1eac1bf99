//! MediaLive input security groups, for the seed's `rtp-push` wiring: created at once (AWS
//! answers IDLE), IN_USE while an input names them, and refused for deletion until then.

use super::Simulator;
use super::errors::{not_found, validation};
use super::faults::Service;
use super::world::World;
use crate::cloud::{
    CloudError, CreateInputSecurityGroupRequest, ErrorKind, InputSecurityGroup, InputState,
};

pub(crate) struct SecurityGroupRec {
    pub seq: u64,
    pub group: InputSecurityGroup,
}

impl World {
    /// The group as List returns it, with the inputs that use it now.
    fn group_view(&self, rec: &SecurityGroupRec) -> InputSecurityGroup {
        let mut group = rec.group.clone();
        group.inputs = self
            .live_inputs()
            .filter(|i| i.input.security_groups.contains(&group.id))
            .map(|i| i.input.id.clone())
            .collect();
        group.state = if group.inputs.is_empty() {
            "IDLE"
        } else {
            "IN_USE"
        }
        .to_string();
        group
    }

    pub(crate) fn security_group_exists(&self, id: &str) -> bool {
        self.security_groups.contains_key(id)
    }

    fn create_input_security_group(
        &mut self,
        req: CreateInputSecurityGroupRequest,
    ) -> Result<InputSecurityGroup, CloudError> {
        const CALL: &str = "CreateInputSecurityGroup";
        if req.allowed_cidrs.is_empty() {
            return Err(validation(
                CALL,
                "whitelistRules: at least one CIDR is required",
            ));
        }
        if let Some(bad) = req.allowed_cidrs.iter().find(|c| !is_cidr(c)) {
            return Err(validation(
                CALL,
                format!("whitelistRules[0].cidr: {bad:?} is not an IPv4 CIDR block"),
            ));
        }
        // AWS's default is 5 input security groups per region, the same as push inputs.
        if self.security_groups.len() >= self.security_group_quota {
            return Err(CloudError::new(
                CALL,
                ErrorKind::QuotaExceeded,
                format!(
                    "LimitExceeded: you have reached the limit of {} input security groups in {}",
                    self.security_group_quota,
                    Simulator::REGION
                ),
            ));
        }
        let id = self.new_medialive_id();
        let group = InputSecurityGroup {
            arn: format!(
                "arn:aws:medialive:{}:{}:inputSecurityGroup:{id}",
                Simulator::REGION,
                Simulator::ACCOUNT
            ),
            id: id.clone(),
            state: "IDLE".to_string(),
            allowed_cidrs: req.allowed_cidrs,
            inputs: Vec::new(),
            tags: req.tags,
        };
        let seq = self.next_seq();
        self.security_groups.insert(
            id,
            SecurityGroupRec {
                seq,
                group: group.clone(),
            },
        );
        Ok(group)
    }

    pub(crate) fn list_input_security_groups(&self) -> Vec<InputSecurityGroup> {
        let mut recs: Vec<&SecurityGroupRec> = self.security_groups.values().collect();
        recs.sort_by_key(|r| r.seq);
        recs.into_iter().map(|r| self.group_view(r)).collect()
    }

    fn delete_input_security_group(&mut self, id: &str) -> Result<(), CloudError> {
        const CALL: &str = "DeleteInputSecurityGroup";
        let Some(rec) = self.security_groups.get(id) else {
            return Err(not_found(CALL, "Input security group", id));
        };
        // An input being deleted still holds its group until it is DELETED.
        let users: Vec<String> = self
            .inputs
            .values()
            .filter(|i| i.input.state != InputState::Deleted)
            .filter(|i| i.input.security_groups.contains(&rec.group.id))
            .map(|i| i.input.id.clone())
            .collect();
        if !users.is_empty() {
            // DeleteInputSecurityGroup has no 409: AWS answers 400 for a group in use.
            return Err(validation(
                CALL,
                format!(
                    "Input security group '{id}' is in use by input(s) {}",
                    users.join(", ")
                ),
            ));
        }
        self.security_groups.remove(id);
        Ok(())
    }
}

fn is_cidr(text: &str) -> bool {
    let Some((ip, bits)) = text.split_once('/') else {
        return false;
    };
    ip.parse::<std::net::Ipv4Addr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 32)
}

impl Simulator {
    pub(crate) async fn sim_create_input_security_group(
        &self,
        req: CreateInputSecurityGroupRequest,
    ) -> Result<InputSecurityGroup, CloudError> {
        self.call("CreateInputSecurityGroup", Service::MediaLive, |w| {
            w.create_input_security_group(req)
        })
    }

    pub(crate) async fn sim_list_input_security_groups(
        &self,
    ) -> Result<Vec<InputSecurityGroup>, CloudError> {
        self.call("ListInputSecurityGroups", Service::MediaLive, |w| {
            Ok(w.list_input_security_groups())
        })
    }

    pub(crate) async fn sim_delete_input_security_group(&self, id: &str) -> Result<(), CloudError> {
        self.call("DeleteInputSecurityGroup", Service::MediaLive, |w| {
            w.delete_input_security_group(id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::cloud::{CreateInputRequest, InputSource, MediaLive};

    fn group_req() -> CreateInputSecurityGroupRequest {
        CreateInputSecurityGroupRequest {
            allowed_cidrs: vec!["3.224.17.99/32".into()],
            tags: Default::default(),
        }
    }

    fn push_input(groups: Vec<String>) -> CreateInputRequest {
        CreateInputRequest {
            name: "onair-push".into(),
            request_id: String::new(),
            source: InputSource::RtpPush {
                security_group_ids: groups,
            },
            role_arn: None,
            tags: Default::default(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_in_use_cannot_be_deleted_until_its_input_is_gone() {
        let sim = sim();
        let group = sim.create_input_security_group(group_req()).await.unwrap();
        assert_eq!(group.state, "IDLE");
        let input = sim
            .create_input(push_input(vec![group.id.clone()]))
            .await
            .unwrap();
        assert_eq!(input.security_groups, vec![group.id.clone()]);
        let listed = sim.list_input_security_groups().await.unwrap();
        assert_eq!(listed[0].inputs, vec![input.id.clone()]);
        assert_eq!(listed[0].state, "IN_USE");

        let err = sim
            .delete_input_security_group(&group.id)
            .await
            .unwrap_err();
        assert_eq!(
            (err.call, err.kind),
            ("DeleteInputSecurityGroup", ErrorKind::Validation)
        );
        secs(3.0).await;
        sim.delete_input(&input.id).await.unwrap();
        // Still DELETING: the group is still held.
        assert!(sim.delete_input_security_group(&group.id).await.is_err());
        secs(4.0).await;
        sim.delete_input_security_group(&group.id).await.unwrap();
        assert!(sim.list_input_security_groups().await.unwrap().is_empty());
        let err = sim
            .delete_input_security_group(&group.id)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
    }

    #[tokio::test(start_paused = true)]
    async fn a_push_input_needs_a_group_that_exists_and_groups_are_limited() {
        let sim = sim();
        let err = sim
            .create_input(push_input(vec!["9999999".into()]))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation, "{err}");
        let bad = CreateInputSecurityGroupRequest {
            allowed_cidrs: vec!["3.224.17.99".into()],
            tags: Default::default(),
        };
        assert_eq!(
            sim.create_input_security_group(bad).await.unwrap_err().kind,
            ErrorKind::Validation
        );
        for _ in 0..5 {
            sim.create_input_security_group(group_req()).await.unwrap();
        }
        let err = sim
            .create_input_security_group(group_req())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::QuotaExceeded);
    }
}
