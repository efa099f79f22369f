//! The OpenAPI schemas of the wire types serde cannot describe by derive (feature `openapi`):
//! step names and steps (hand-written `Serialize`), metadata (an object or a string), and the
//! endpoint markers for "no body" and "an image". Everything else derives `utoipa::ToSchema`
//! beside its `Serialize`.

use crate::endpoint::{Empty, Image};
use crate::step::{Step, StepName};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// The schema of `metadata` everywhere (seeds 002 and 004 show both): a JSON object, a string,
/// or null.
pub(crate) fn metadata_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([
            Type::Object,
            Type::String,
            Type::Null,
        ]))
        .description(Some(
            "Host data: a JSON object of key-value pairs or a string, echoed back unchanged.",
        ))
        .into()
}

fn step_names() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(StepName::ALL.iter().map(|s| s.as_str())))
}

impl PartialSchema for StepName {
    fn schema() -> RefOr<Schema> {
        step_names()
            .description(Some("A step's name."))
            .build()
            .into()
    }
}

impl ToSchema for StepName {}

impl PartialSchema for Step {
    fn schema() -> RefOr<Schema> {
        let bool_type = || ObjectBuilder::new().schema_type(SchemaType::Type(Type::Boolean));
        let with_options = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Object))
            .property("name", step_names())
            .required("name")
            .property("hide_continue_button", bool_type())
            .property("payout_fee_party", crate::money::FeeParty::schema())
            .property(
                "redirect_url",
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .format(Some(utoipa::openapi::SchemaFormat::Custom("uri".into()))),
            );
        Schema::OneOf(
            OneOfBuilder::new()
                .item(step_names())
                .item(with_options)
                .description(Some(
                    "A step: its name, or an object with its name and options \
                     (`redirect_url` for `redirect`, `hide_continue_button` for the manage steps, \
                     `payout_fee_party` for `payout`).",
                ))
                .build(),
        )
        .into()
    }
}

impl ToSchema for Step {}

impl PartialSchema for Empty {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Null))
            .description(Some("No body."))
            .build()
            .into()
    }
}

impl ToSchema for Empty {}

impl PartialSchema for Image {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .content_media_type("image/*")
            .description(Some(format!(
                "The image's bytes: JPEG, PNG or WebP, at most {} MB.",
                crate::identity::DOCUMENT_MAX_BYTES / (1024 * 1024)
            )))
            .build()
            .into()
    }
}

impl ToSchema for Image {}
