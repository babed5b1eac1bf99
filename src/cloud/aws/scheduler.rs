//! EventBridge Scheduler through the SDK: one-time schedules in the default group that call
//! MediaLive's StartChannel / StopChannel through the universal target, with the role onair is
//! configured with (`scheduler_role_arn`).

use super::errors::Endpoint;
use crate::cloud::{
    CloudError, CreateScheduleRequest, ErrorKind, ScheduleInfo, Scheduler, channel_of_input,
};
use async_trait::async_trait;
use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target,
};

pub struct SdkScheduler {
    client: Client,
    endpoint: Endpoint,
}

impl SdkScheduler {
    pub(crate) fn new(client: Client, endpoint: Endpoint) -> Self {
        Self { client, endpoint }
    }
}

fn build_error(call: &'static str, e: impl std::fmt::Display) -> CloudError {
    CloudError::new(call, ErrorKind::Validation, e.to_string())
}

#[async_trait]
impl Scheduler for SdkScheduler {
    async fn create_schedule(&self, req: CreateScheduleRequest) -> Result<(), CloudError> {
        const CALL: &str = "CreateSchedule";
        let target = Target::builder()
            .arn(req.action.target_arn())
            .role_arn(&req.role_arn)
            .input(req.input_json())
            .build()
            .map_err(|e| build_error(CALL, e))?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| build_error(CALL, e))?;
        self.client
            .create_schedule()
            .name(&req.name)
            .schedule_expression(req.expression())
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .action_after_completion(ActionAfterCompletion::Delete)
            .description(&req.description)
            .target(target)
            // The name is unique per destination, kind and time: a retry after a lost answer
            // is the same request.
            .client_token(&req.name)
            .send()
            .await
            .map_err(|e| self.endpoint.map(CALL, e))?;
        Ok(())
    }

    async fn get_schedule(&self, name: &str) -> Result<ScheduleInfo, CloudError> {
        const CALL: &str = "GetSchedule";
        let out = self
            .client
            .get_schedule()
            .name(name)
            .send()
            .await
            .map_err(|e| self.endpoint.map(CALL, e))?;
        let target = out.target();
        Ok(ScheduleInfo {
            name: out.name().unwrap_or(name).to_string(),
            expression: out.schedule_expression().unwrap_or_default().to_string(),
            target_arn: target.map(|t| t.arn().to_string()).unwrap_or_default(),
            channel_id: target.and_then(|t| t.input()).and_then(channel_of_input),
            role_arn: target.map(|t| t.role_arn().to_string()).unwrap_or_default(),
        })
    }

    async fn list_schedules(&self, prefix: &str) -> Result<Vec<String>, CloudError> {
        const CALL: &str = "ListSchedules";
        let mut names = Vec::new();
        let mut pages = self
            .client
            .list_schedules()
            .name_prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.endpoint.map(CALL, e))?;
            names.extend(
                page.schedules()
                    .iter()
                    .filter_map(|s| s.name())
                    .map(str::to_string),
            );
        }
        Ok(names)
    }

    async fn delete_schedule(&self, name: &str) -> Result<(), CloudError> {
        const CALL: &str = "DeleteSchedule";
        self.client
            .delete_schedule()
            .name(name)
            .client_token(format!("delete-{name}"))
            .send()
            .await
            .map_err(|e| self.endpoint.map(CALL, e))?;
        Ok(())
    }
}
