from django.urls import path

from donhang.catalog import views

app_name = "catalog"
urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/new/preview/", views.product_matrix_preview, name="product_matrix_preview"),
    path("products/bulk/", views.product_bulk, name="product_bulk"),
    path("products/export/", views.product_export, name="product_export"),
    path("products/import/", views.product_import, name="product_import"),
    path(
        "products/import/template/",
        views.product_import_template,
        name="product_import_template",
    ),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path(
        "products/<int:pk>/variants/",
        views.product_variants_update,
        name="product_variants_update",
    ),
    path("products/<int:pk>/images/", views.product_image_upload, name="product_image_upload"),
    path(
        "products/<int:pk>/images/<int:image_pk>/delete/",
        views.product_image_delete,
        name="product_image_delete",
    ),
    path(
        "products/<int:pk>/images/<int:image_pk>/move/",
        views.product_image_move,
        name="product_image_move",
    ),
    path("barcodes/labels/", views.barcode_labels, name="barcode_labels"),
    path("barcodes/assign/", views.barcodes_assign, name="barcodes_assign"),
    path("variants/lookup/", views.variant_lookup, name="variant_lookup"),
    path("categories/", views.category_list, name="category_list"),
    path("categories/new/", views.category_create, name="category_create"),
    path("categories/<int:pk>/edit/", views.category_edit, name="category_edit"),
    path("categories/<int:pk>/delete/", views.category_delete, name="category_delete"),
    path("brands/", views.brand_list, name="brand_list"),
    path("brands/new/", views.brand_create, name="brand_create"),
    path("brands/<int:pk>/edit/", views.brand_edit, name="brand_edit"),
    path("brands/<int:pk>/delete/", views.brand_delete, name="brand_delete"),
]
